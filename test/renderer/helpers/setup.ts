/** A fresh Pinia bound to a fake engine, as main.ts binds the real bridge. */
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { useConnection } from '../../../src-renderer/src/stores/connection';
import { FakeEngine, type FakeEngineOptions } from './fakeEngine';

export function freshApp(engine: FakeEngine = new FakeEngine()): { engine: FakeEngine; pinia: Pinia } {
  const pinia = createPinia();
  setActivePinia(pinia);
  useConnection().bind(engine.bridge);
  return { engine, pinia };
}

export function newEngine(options: FakeEngineOptions = {}): FakeEngine {
  return new FakeEngine(options);
}

/** Lets pending promise callbacks run (bridge calls resolve in microtasks). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
