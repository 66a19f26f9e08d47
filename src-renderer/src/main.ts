// The api module goes first: it takes the serve-mode token out of the URL before anything reads the hash.
import './lib/api'
import './i18n'
import './app.css'
import './components/kit/kit.css'
import './components/profile-card.css'
import { mount } from 'svelte'
import App from './App.svelte'
import { app } from './lib/state/app.svelte'
import { router } from './lib/router.svelte'
import { devices } from './lib/state/devices.svelte'

// Both start before the first render so the device list's first page is on its way while the shell mounts. The
// device list stays live from then on: the Devices page shows it at once, as current as the core.
void app.load()
// A window opened on a view of the list (a reload, a link) asks for that view first.
if (router.route.name === 'devices') devices.query = router.query
devices.activate()

const target = document.getElementById('app')
if (!target) throw new Error('index.html has no #app element')

export default mount(App, { target })
