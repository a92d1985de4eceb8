/** RFC 8785 canonical JSON, the bytes an audit entry's hash covers (implemented beside the store, which seals entries). */
export { canonicalJson } from '../store/audit-chain.js';
