import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { createBridge } from './bridge';
import { BridgeKey } from './bridgeKey';

const bridge = createBridge();
const app = createApp(App);
app.use(createPinia());
app.provide(BridgeKey, bridge);
app.mount('#app');
