import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { createBridge } from './bridge';
import { ChartFactoryKey } from './chartKeys';
import { chartJsFactory } from './lib/charts/chartjs';
import { useConnection } from './stores/connection';

const bridge = createBridge();
const pinia = createPinia();
const app = createApp(App);
app.use(pinia);
app.provide(ChartFactoryKey, chartJsFactory);
useConnection(pinia).bind(bridge);
app.mount('#app');
