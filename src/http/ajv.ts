import type Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * openapi-backend builds draft-07 Ajv instances, which neither match OpenAPI 3.1 (JSON Schema
 * 2020-12) nor know `date-time`. This swaps in Ajv 2020 with ajv-formats, keeps the OpenAPI
 * formats (int32, int64, ...) openapi-backend registered, and reports every error at once.
 * `verbose` exposes the failing schema so errors can be named after it (never the value). It also
 * implements the one format of the spec's own, storable-text.
 */
export function customizeAjv(original: Ajv, options: object): Ajv {
  const ajv = new Ajv2020({ ...options, allErrors: true, verbose: true, strict: false });
  for (const [name, format] of Object.entries(original.formats)) {
    if (format !== undefined) ajv.addFormat(name, format);
  }
  addFormats(ajv);
  // openapi.yaml's storable-text: text a database stores exactly, so no U+0000 and no unpaired
  // surrogate (which UTF-8, hence BSON, cannot hold: it would be stored as U+FFFD).
  ajv.addFormat('storable-text', { type: 'string', validate: (text: string) => !text.includes('\u0000') && text.isWellFormed() });
  return ajv;
}
