import { UsageError } from '../../src/cli/common';
import { USAGE, parseCommand, runCommand } from '../../src/cli/partnersCli';
import type { PartnerInputs, PartnerStore } from '../../src/store/partnerStore';

describe('partners command: how a partner’s HL7 v2 and FHIR are read', () => {
  test('when add carries input options, then they are read into the partner’s inputs', () => {
    expect(parseCommand(['add', 'clinic', '--hl7-patient-id-type', 'PI', '--fhir-identifier-system', 'https://ehr.example/appointment-id']).inputs).toEqual({
      hl7PatientIdType: 'PI',
      fhirIdentifierSystem: 'https://ehr.example/appointment-id',
    });
    expect(parseCommand(['add', 'clinic']).inputs).toEqual({});
  });

  test.each([
    [['inputs', 'clinic', '--hl7-patient-id-type', 'M R']],
    [['inputs', 'clinic', '--hl7-patient-id-type', '']],
    [['inputs', 'clinic', '--fhir-identifier-system', 'has space']],
    [['rotate-key', 'clinic', '--hl7-patient-id-type', 'PI']],
    [['inputs']],
  ])('when the arguments are %p, then they are refused as a usage error', (argv) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
  });

  test('when inputs runs, then the store is given exactly the options named (none: back to the defaults), and the output says what is now read', async () => {
    const set: [string, PartnerInputs][] = [];
    const store = { setInputs: async (name: string, inputs: PartnerInputs) => void set.push([name, inputs]) } as unknown as PartnerStore;
    const out: string[] = [];
    const io = { out: (text: string) => void out.push(text), now: () => new Date('2026-12-06T00:00:00Z'), defaultGraceMs: 0 };
    expect(await runCommand(parseCommand(['inputs', 'clinic', '--hl7-patient-id-type', 'PI']), store, io)).toBe(0);
    expect(await runCommand(parseCommand(['inputs', 'clinic', '--json']), store, io)).toBe(0);
    expect(set).toEqual([['clinic', { hl7PatientIdType: 'PI' }], ['clinic', {}]]);
    expect(out[0]).toContain('HL7 patient id type: PI, FHIR appointment id: resource id');
    expect(JSON.parse(out[1]!)).toEqual({ name: 'clinic', inputs: {} });
  });

  test('when the usage is printed, then it names the inputs command and both options', () => {
    for (const word of ['inputs <name>', '--hl7-patient-id-type', '--fhir-identifier-system']) expect(USAGE).toContain(word);
  });
});
