export { StreamgateApiError, StreamgateConnectionError } from './errors.js';
export {
  ApiSecretApi,
  PublishTokenApi,
  StreamgateClient,
  type StreamgateClientOptions,
  type SubscribeTokenApi,
  TokenApi,
  WebhookApi,
} from './streamgate-client.js';
export type * from './types.js';
