import * as diagnostics from 'node:diagnostics_channel';

// The net listens; it never patches. Every subscriber is wrapped so that nothing it does can throw into the code that
// published the message (a throwing subscriber would surface as an uncaught exception in the app).

export type Listener = (message: unknown, name: string | symbol) => void;

const ours = new Map<string, Listener>();
// Each channel asked about, kept: `diagnostics.channel(name)` looks the name up in a map of weak references on every
// call, and `othersListen` is asked on every fetch a build-time site makes. Node keeps a channel with subscribers alive
// anyway; the few kept here without any are a handful of names from the rule table.
const channels = new Map<string, diagnostics.Channel>();

function channelOf(name: string): diagnostics.Channel {
  let channel = channels.get(name);
  if (!channel) channels.set(name, (channel = diagnostics.channel(name)));
  return channel;
}

/** Subscribes `listener` to the channel `name`, guarded; publishing a channel nobody created is harmless. */
export function listen(name: string, listener: Listener): void {
  const guarded: Listener = (message, channelName) => {
    try {
      listener(message, channelName);
    } catch {
      // tracing must never break the request or call being published
    }
  };
  ours.set(name, guarded);
  channelOf(name).subscribe(guarded);
}

/**
 * Whether something other than the net listens on `name` (instrumentation-undici on `undici:request:create`).
 * `hasSubscribers` counts the net's own subscriber too, so the channel's subscriber list is read where Node exposes
 * it (`_subscribers`, an array on Node 20, 22 and 24); where it does not, any subscriber other than ours cannot be
 * told apart, and the answer falls back to `hasSubscribers` with ours left out when we are not subscribed.
 */
export function othersListen(name: string): boolean {
  const channel = channelOf(name) as diagnostics.Channel & { _subscribers?: unknown };
  const mine = ours.get(name);
  if (!mine) return channel.hasSubscribers;
  const subscribers = channel._subscribers;
  if (!Array.isArray(subscribers)) return false;
  return subscribers.length > 1 || (subscribers.length === 1 && subscribers[0] !== mine);
}
