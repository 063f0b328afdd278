// The error body of Portvakt's JSON APIs (the self-service API, the authorizations API), in OAuth's
// shape (RFC 6749 §5.2): a code to branch on, and a description a developer can act on.
import { Type } from '@sinclair/typebox';

export const ErrorBody = Type.Object({ error: Type.String(), error_description: Type.String() });
