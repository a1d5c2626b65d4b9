import { PartnerNotFoundError } from '../../src/store/partnerErrors';
import { storesOnly } from '../helpers/storesOnly';

// How partners' HL7 v2 and FHIR messages are read, as the partner store keeps it, on the real database.
const opened = storesOnly(__filename);

describe('partner inputs', () => {
  test('when a partner is created with inputs, changed, then reset, then its credentials and its listing carry each state', async () => {
    const now = new Date();
    await opened.stores().partners.create({ name: 'clinic-inputs', keyHash: 'hash-clinic-inputs', inputs: { hl7PatientIdType: 'PI' } }, now);
    const credentials = async () => (await opened.stores().partners.findByKeyHashes(['hash-clinic-inputs'])).get('hash-clinic-inputs')?.inputs;
    expect(await credentials()).toEqual({ hl7PatientIdType: 'PI' });
    await opened.stores().partners.setInputs('clinic-inputs', { fhirIdentifierSystem: 'https://ehr.example/appointment-id' });
    expect(await credentials()).toEqual({ fhirIdentifierSystem: 'https://ehr.example/appointment-id' });
    await opened.stores().partners.setInputs('clinic-inputs', {});
    expect(await credentials()).toEqual({});
    expect((await opened.stores().partners.list()).find((p) => p.name === 'clinic-inputs')?.inputs).toEqual({});
    // A partner created without any keeps no field at all: the defaults apply.
    await opened.stores().partners.create({ name: 'clinic-plain', keyHash: 'hash-clinic-plain' }, now);
    expect(await opened.db().collection('partners').findOne({ _id: 'clinic-plain' as never })).not.toHaveProperty('inputs');
  });

  test('when inputs are set for a partner that does not exist, then it is refused by name', async () => {
    await expect(opened.stores().partners.setInputs('nobody-here', { hl7PatientIdType: 'PI' })).rejects.toBeInstanceOf(PartnerNotFoundError);
  });
});
