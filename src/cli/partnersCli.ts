import { generateApiKey, generateSigningSecret, hashApiKey } from '../auth/credentials';
import { registerPartner } from '../auth/registerPartner';
import { NoSigningSecretError, PartnerExistsError, PartnerNotFoundError } from '../store/partnerErrors';
import { DEFAULT_HL7_PATIENT_ID_TYPE, type PartnerInputs } from '../store/partnerInputs';
import type { PartnerStore } from '../store/partnerStore';
import { NAME_RULE, UsageError, checkName, parseArguments, parseGrace, type CliIo } from './common';

export const USAGE = `Usage: npm run partners -- <command> [options]

Commands:
  add <name> [--signing] [--rate <per-second>] [--test] [input options]
                                                 create a partner; prints its API key (a test key with --test)
                                                 and signing secret once
  inputs <name> [input options]                  set how the partner's HL7 v2 and FHIR messages are read
                                                 (an option left out goes back to its default)
  list                                           list partners (never prints secrets)
  test-key <name>                                issue a test key to a partner; its other keys are untouched
  rotate-key <name> [--test] [--grace <duration>]
                                                 issue a new live (or test) API key; the old ones of that kind
                                                 work for the grace period
  rotate-secret <name> [--grace <duration>]      issue a new signing secret; the old one works for the grace period
  revoke <name>                                  revoke a partner: its keys stop working (within AUTH_CACHE_TTL_MS, 30 s)

Options:
  --json               machine-readable output
  --test               a test key: its events are validated and answered like live ones, stored apart,
                       never read by consumers, deleted after TEST_EVENT_DAYS (7 days)
  --grace <duration>   e.g. 30s, 90m, 24h, 7d (default: ROTATION_GRACE, 24h)

Input options:
  --hl7-patient-id-type <code>     the PID-3 identifier type (CX-5) holding the patient id (default MR)
  --fhir-identifier-system <uri>   the Appointment.identifier system holding the appointment id
                                   (default: the Appointment's resource id)

${NAME_RULE}`;

interface Parsed {
  command: string;
  name?: string;
  json: boolean;
  signing: boolean;
  test: boolean;
  rate?: number;
  graceMs?: number;
  inputs: PartnerInputs;
}

export function parseCommand(argv: string[]): Parsed {
  const parsed = parseArguments(argv, {
    json: { type: 'boolean', default: false },
    signing: { type: 'boolean', default: false },
    test: { type: 'boolean', default: false },
    rate: { type: 'string' },
    grace: { type: 'string' },
    'hl7-patient-id-type': { type: 'string' },
    'fhir-identifier-system': { type: 'string' },
  });
  const [command, name, ...extra] = parsed.positionals;
  const { json, signing, test, rate, grace } = parsed.values;
  const takesName = ['add', 'inputs', 'test-key', 'rotate-key', 'rotate-secret', 'revoke'];
  if (!command || ![...takesName, 'list'].includes(command)) throw new UsageError(command ? `unknown command "${command}"` : 'a command is required');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (takesName.includes(command)) {
    if (!name) throw new UsageError(`${command} needs a partner name`);
    checkName(name, 'partner');
  } else if (name) {
    throw new UsageError(`unexpected argument "${name}"`);
  }
  if ((signing || rate !== undefined) && command !== 'add') throw new UsageError('--signing and --rate go with add');
  if (test && command !== 'add' && command !== 'rotate-key') throw new UsageError('--test goes with add and rotate-key');
  if (grace !== undefined && !command.startsWith('rotate-')) throw new UsageError('--grace goes with rotate-key and rotate-secret');
  let ratePerSecond: number | undefined;
  if (rate !== undefined) {
    if (!/^\d+$/.test(rate) || Number(rate) < 1 || Number(rate) > 100000) throw new UsageError('--rate must be a whole number of requests per second from 1 to 100000');
    ratePerSecond = Number(rate);
  }
  const inputs = parseInputs(parsed.values['hl7-patient-id-type'], parsed.values['fhir-identifier-system']);
  if (Object.keys(inputs).length > 0 && command !== 'add' && command !== 'inputs') throw new UsageError('input options go with add and inputs');
  return { command, name, json, signing, test, rate: ratePerSecond, graceMs: parseGrace(grace), inputs };
}

/** HL7 identifier type codes are short codes (table 0203); a system is a URI. Neither may hold spaces. */
function parseInputs(idType: string | undefined, system: string | undefined): PartnerInputs {
  if (idType !== undefined && !/^[A-Za-z0-9_-]{1,20}$/.test(idType)) throw new UsageError('--hl7-patient-id-type must be 1 to 20 letters, digits, _ or -');
  if (system !== undefined && !/^[\x21-\x7e]{1,1024}$/.test(system)) throw new UsageError('--fhir-identifier-system must be a URI of 1 to 1024 visible ASCII characters');
  return { ...(idType !== undefined && { hl7PatientIdType: idType }), ...(system !== undefined && { fhirIdentifierSystem: system }) };
}

/** Runs one command against the partner store; returns the process exit code. */
export async function runCommand(cmd: Parsed, partners: PartnerStore, io: CliIo): Promise<number> {
  const now = io.now();
  const print = (json: unknown, text: string) => io.out(cmd.json ? JSON.stringify(json) : text);
  const name = cmd.name ?? '';
  const previousUntil = new Date(now.getTime() + (cmd.graceMs ?? io.defaultGraceMs));
  const mode = cmd.test ? 'test' : 'live';
  try {
    switch (cmd.command) {
      case 'add': {
        const { apiKey, signingSecret } = await registerPartner(partners, { name, signing: cmd.signing, ratePerSecond: cmd.rate, mode, inputs: cmd.inputs }, now);
        print(
          { name, api_key: apiKey, mode, signing_secret: signingSecret ?? null, rate_per_second: cmd.rate ?? null },
          [
            `Partner "${name}" created. These are shown once; store them securely.`,
            `${cmd.test ? 'Test API key:  ' : 'API key:       '} ${apiKey}`,
            ...(signingSecret ? [`Signing secret: ${signingSecret}`] : []),
          ].join('\n'),
        );
        return 0;
      }
      case 'list': {
        const all = await partners.list();
        print(
          all.map((p) => ({
            name: p.name,
            created_at: p.createdAt.toISOString(),
            revoked_at: p.revokedAt?.toISOString() ?? null,
            signing: p.signing,
            rate_per_second: p.ratePerSecond,
            active_keys: p.activeKeys,
            active_test_keys: p.activeTestKeys,
            inputs: p.inputs,
          })),
          all.length === 0
            ? 'No partners yet: npm run partners -- add <name>'
            : all
                .map((p) => `${p.name}\t${p.revokedAt ? 'revoked' : 'active'}\tsigning: ${p.signing ? 'yes' : 'no'}\tkeys: ${p.activeKeys}\ttest keys: ${p.activeTestKeys}\trate: ${p.ratePerSecond ?? 'default'}\t${describeInputs(p.inputs)}`)
                .join('\n'),
        );
        return 0;
      }
      case 'inputs': {
        await partners.setInputs(name, cmd.inputs);
        print({ name, inputs: cmd.inputs }, `Inputs of "${name}": ${describeInputs(cmd.inputs)} (in effect within AUTH_CACHE_TTL_MS, 30 s).`);
        return 0;
      }
      case 'test-key': {
        const apiKey = generateApiKey('test');
        await partners.addTestKey(name, hashApiKey(apiKey), now);
        print({ name, api_key: apiKey, mode: 'test' }, `Test API key for "${name}" (shown once): ${apiKey}`);
        return 0;
      }
      case 'rotate-key': {
        const apiKey = generateApiKey(mode);
        await partners.rotateKey(name, hashApiKey(apiKey), previousUntil, now, mode);
        print(
          { name, api_key: apiKey, mode, previous_key_expires_at: previousUntil.toISOString() },
          `New ${cmd.test ? 'test ' : ''}API key for "${name}" (shown once): ${apiKey}\nThe previous ${cmd.test ? 'test ' : ''}keys work until ${previousUntil.toISOString()}.`,
        );
        return 0;
      }
      case 'rotate-secret': {
        const secret = generateSigningSecret();
        await partners.rotateSecret(name, secret, previousUntil, now);
        print(
          { name, signing_secret: secret, previous_secret_expires_at: previousUntil.toISOString() },
          `New signing secret for "${name}" (shown once): ${secret}\nThe previous secret works until ${previousUntil.toISOString()}.`,
        );
        return 0;
      }
      default: {
        await partners.revoke(name, now);
        print({ name, revoked_at: now.toISOString() }, `Partner "${name}" revoked; its keys no longer work.`);
        return 0;
      }
    }
  } catch (err) {
    if (err instanceof PartnerNotFoundError || err instanceof PartnerExistsError || err instanceof NoSigningSecretError) {
      throw new UsageError(err.message);
    }
    throw err;
  }
}

function describeInputs(inputs: PartnerInputs): string {
  return `HL7 patient id type: ${inputs.hl7PatientIdType ?? DEFAULT_HL7_PATIENT_ID_TYPE}, FHIR appointment id: ${inputs.fhirIdentifierSystem ? `identifier of ${inputs.fhirIdentifierSystem}` : 'resource id'}`;
}
