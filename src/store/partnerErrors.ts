/** What the partner commands refuse, in words an operator can act on (the CLI prints them). */
export class PartnerNotFoundError extends Error {
  constructor(name: string) {
    super(`no active partner named "${name}"`);
  }
}

export class PartnerExistsError extends Error {
  constructor(name: string) {
    super(`a partner named "${name}" already exists`);
  }
}

export class NoSigningSecretError extends Error {
  constructor(name: string) {
    super(`partner "${name}" does not sign its requests; create a signing partner with add --signing`);
  }
}
