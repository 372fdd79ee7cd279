/**
 * Checks a FHIR record before it is sent, so autonomous creation never submits a
 * record the target would refuse for a reason we can see: problems name the
 * element, never its value.
 */
const PATIENT_GENDERS = ['male', 'female', 'other', 'unknown'];
const APPOINTMENT_STATUSES = ['proposed', 'pending', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error', 'checked-in', 'waitlist'];
const FHIR_DATE = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/;
const FHIR_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function fhirPreflight(resourceType: string, doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (resourceType === 'Patient') {
    if (doc.birthDate !== undefined && (typeof doc.birthDate !== 'string' || !FHIR_DATE.test(doc.birthDate))) problems.push('Patient.birthDate: not a FHIR date');
    if (doc.gender !== undefined && !PATIENT_GENDERS.includes(String(doc.gender))) problems.push('Patient.gender: not in the administrative-gender codes');
  }
  if (resourceType === 'Appointment') {
    if (!APPOINTMENT_STATUSES.includes(String(doc.status))) problems.push('Appointment.status: missing or not an appointment status');
    const participants = Array.isArray(doc.participant) ? doc.participant as Array<Record<string, unknown>> : [];
    if (participants.length === 0) problems.push('Appointment.participant: at least one is required');
    for (const key of ['start', 'end']) {
      if (doc[key] !== undefined && (typeof doc[key] !== 'string' || !FHIR_INSTANT.test(doc[key]))) problems.push(`Appointment.${key}: not a FHIR instant`);
    }
  }
  return problems;
}
