import type { BusinessHours } from './common.ts';

const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** Local weekday (1 = Monday) and minute of day of `at` in `timezone`. */
export function localTime(at: number, timezone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  return { day: WEEKDAY[get('weekday')] ?? 0, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** True while the business is open at `at` (a window may run past midnight into the next day). */
export function insideBusinessHours(hours: Pick<BusinessHours, 'timezone' | 'days' | 'start' | 'end'>, at: number): boolean {
  const { day, minute } = localTime(at, hours.timezone);
  const start = minutes(hours.start);
  const end = minutes(hours.end);
  if (start < end) return hours.days.includes(day) && minute >= start && minute < end;
  const previous = day === 1 ? 7 : day - 1;
  return (hours.days.includes(day) && minute >= start) || (hours.days.includes(previous) && minute < end);
}

/** Whether a source with this gate may poll at `at`; no gate: always. */
export function mayPoll(hours: BusinessHours | undefined, at: number): boolean {
  if (!hours) return true;
  const inside = insideBusinessHours(hours, at);
  return hours.poll === 'during' ? inside : !inside;
}
