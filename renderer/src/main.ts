import { mount } from 'svelte';
import App from './App.svelte';
import { connect } from './lib/api.ts';
import { AppState } from './lib/app.svelte.ts';
import './styles.css';

const connection = connect();
const app = new AppState(connection.api, connection.transport);
mount(App, { target: document.getElementById('app')!, props: { app } });
void app.start();
