import type { operations } from '../../generated/openapi';

/** Every operation of openapi.yaml, by its operationId. */
export type OperationId = keyof operations;

type Responses<Op extends OperationId> = operations[Op]['responses'];

/** The headers a response declares, each optional: openapi-typescript adds an index signature, dropped here. */
type DeclaredHeaders<H> = { -readonly [K in keyof H as string extends K ? never : K]?: H[K] };

/** One declared response, one variant per media type it may be sent as. */
type ReplyFor<Status, Response> = Response extends { headers: infer H; content: infer C }
  ? { [M in keyof C]: { status: Status; contentType: M; body: C[M]; headers?: DeclaredHeaders<H>; mediaTypeParameters?: string } }[keyof C]
  : never;

/** The statuses a handler answers with itself; every other one comes from the error table. */
type SuccessStatus<Op extends OperationId> = Extract<keyof Responses<Op>, 200 | 201 | 202 | 204>;

/**
 * What a handler may return for its operation, derived from the spec: an undeclared status, a
 * body of another shape or an undeclared header does not compile.
 */
export type Reply<Op extends OperationId> = { [S in SuccessStatus<Op>]: ReplyFor<S, Responses<Op>[S]> }[SuccessStatus<Op>];

/**
 * The validated request body of an operation, as the spec declares it (undefined when it has
 * none); an operation taking several media types takes one schema under all of them.
 */
export type RequestBody<Op extends OperationId> = operations[Op] extends { requestBody: { content: infer C } } ? C[keyof C] : undefined;

/** A reply of any operation. */
export type AnyReply = { [Op in OperationId]: Reply<Op> }[OperationId];

