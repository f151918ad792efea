/** The injection key under which the app provides its Bridge to components. */
import type { InjectionKey } from 'vue';
import type { Bridge } from '../../src-shared/protocol';

export const BridgeKey: InjectionKey<Bridge> = Symbol('bridge');
