/** How a partner's HL7 v2 and FHIR messages are read (docs/hl7v2.md, docs/fhir.md); absent: the defaults. */
export interface PartnerInputs {
  /** The PID-3 identifier type (CX-5) that holds the patient id; default MR. */
  hl7PatientIdType?: string;
  /** The Appointment.identifier system that holds the appointment id; default: the resource id. */
  fhirIdentifierSystem?: string;
}

/** The PID-3 identifier type read when the partner has none set. */
export const DEFAULT_HL7_PATIENT_ID_TYPE = 'MR';
