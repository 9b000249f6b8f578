// Public API of @fanwire/client.
export { FanwireClient } from "./client.js";
export type {
  ClientEvents,
  ClientState,
  FanwireClientOptions,
  PublishOptions,
  ReconnectInfo,
  WebSocketConstructor,
  WebSocketLike,
} from "./client.js";
export { Subscription } from "./subscription.js";
export type { SubscribeOptions, SubscriptionEvents, SubscriptionState } from "./subscription.js";
export { FanwireMessage } from "./message.js";
export type { FanwireGap } from "./message.js";
export {
  AuthError,
  ConnectionError,
  FanwireError,
  HandshakeError,
  InvalidUrlError,
  ProtocolError,
  RequestError,
} from "./errors.js";
export type { Format } from "./codec.js";
export type { BackoffOptions } from "./backoff.js";
