import type { Rng } from './random.ts';
import { FEMALE, MALE, PLACES, STREETS, STREET_KINDS, SURNAMES } from './vocabulary.ts';

/** A real (synthetic) person: the truth every source record of them is a corrupted view of. */
export interface Person {
  personId: string;
  householdId: string;
  first: string;
  middle: string | undefined;
  last: string;
  gender: 'male' | 'female';
  dob: string;
  /** Ten digits. */
  phone: string;
  email: string | undefined;
  street: string;
  city: string;
  state: string;
  zip: string;
  /** Why this person is easy to confuse with another: `twin`, `junior` (named after a parent). */
  lookalike: 'twin' | 'junior' | undefined;
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const pad2 = (n: number): string => String(n).padStart(2, '0');
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function date(rng: Rng, year: number): string {
  const month = rng.int(1, 12);
  return `${year}-${pad2(month)}-${pad2(rng.int(1, DAYS[month - 1]!))}`;
}

function phone(rng: Rng): string {
  return `${rng.int(2, 9)}${rng.int(0, 9)}${rng.int(0, 9)}${rng.int(2, 9)}${String(rng.int(0, 999999)).padStart(6, '0')}`;
}

function givenName(rng: Rng, gender: 'male' | 'female', not: ReadonlySet<string>): string {
  for (;;) {
    const name = rng.pickSkewed(gender === 'male' ? MALE : FEMALE, 0.6);
    if (!not.has(name)) return cap(name);
  }
}

export interface HouseholdOptions {
  /** Chance that a child slot is filled by twins. */
  twinRate: number;
  /** Chance that a boy is named after his father. */
  juniorRate: number;
}

/**
 * People in households: singles, couples and families who share a surname, an
 * address and often a phone (and sometimes an email); some children are twins
 * (same birth date, surname, address and phone) or named after a parent.
 */
export function* people(rng: Rng, options: HouseholdOptions): Generator<Person> {
  let household = 0;
  let person = 0;
  let emails = 0;
  for (;;) {
    household++;
    const householdId = `h${household}`;
    const size = rng.pickSkewed([1, 2, 3, 4, 5], 1.6);
    const last = cap(rng.pickSkewed(SURNAMES, 0.9));
    const [city, state, zips] = rng.pick(PLACES);
    const zip = rng.pick(zips);
    const street = `${rng.int(1, 9999)} ${cap(rng.pick(STREETS))} ${rng.pick(STREET_KINDS)}`;
    const homePhone = phone(rng);
    const familyEmail = rng.chance(0.1) ? `${last.toLowerCase()}.family${household}@example.net` : undefined;
    const used = new Set<string>();
    const adults = size === 1 ? 1 : Math.min(size, rng.chance(0.7) ? 2 : 1);
    const members: Omit<Person, 'personId'>[] = [];
    const base = (first: string, gender: 'male' | 'female', dob: string, lookalike: Person['lookalike'], sameLast = true): Omit<Person, 'personId'> => {
      used.add(first.toLowerCase());
      const mine = rng.chance(0.55) ? homePhone : phone(rng);
      const surname = sameLast ? last : cap(rng.pickSkewed(SURNAMES, 0.9));
      // Mailboxes are unique: one person's, or the whole household's.
      emails++;
      const own = rng.chance(0.65) ? `${first.toLowerCase()}.${surname.toLowerCase()}${emails}@${rng.pick(['example.com', 'example.org', 'mail.example'])}` : undefined;
      return {
        householdId, first, middle: rng.chance(0.4) ? givenName(rng, gender, used) : undefined,
        last: surname, gender, dob, phone: mine, email: familyEmail && rng.chance(0.5) ? familyEmail : own,
        street, city, state, zip, lookalike,
      };
    };
    const parentYear = rng.int(1940, 1998);
    for (let i = 0; i < adults; i++) {
      const gender = i === 0 ? (rng.chance(0.5) ? 'male' : 'female') : members[0]!.gender === 'male' ? 'female' : 'male';
      members.push(base(givenName(rng, gender, used), gender, date(rng, parentYear + rng.int(-4, 4)), undefined, i === 0 || rng.chance(0.8)));
    }
    while (members.length < size) {
      const gender = rng.chance(0.5) ? 'male' : 'female';
      const father = members.find((m) => m.gender === 'male');
      const junior = gender === 'male' && father && !members.some((m) => m.lookalike === 'junior') && rng.chance(options.juniorRate);
      const dob = date(rng, Math.min(2023, parentYear + rng.int(20, 40)));
      members.push(base(junior ? father.first : givenName(rng, gender, used), gender, dob, junior ? 'junior' : undefined));
      if (members.length < size + 1 && rng.chance(options.twinRate)) {
        const twinGender = rng.chance(0.6) ? gender : gender === 'male' ? 'female' : 'male';
        const twin = base(givenName(rng, twinGender, used), twinGender, dob, 'twin');
        members[members.length - 1]!.lookalike ??= 'twin';
        members.push({ ...twin, phone: members[members.length - 1]!.phone });
      }
    }
    for (const m of members) yield { personId: `p${++person}`, ...m };
  }
}
