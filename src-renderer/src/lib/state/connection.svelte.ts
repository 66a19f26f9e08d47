import { api, type ConnectionStatus } from '../api'

class ConnectionState {
  status = $state<ConnectionStatus>(api.status)

  constructor() {
    api.onStatus((status) => {
      this.status = status
    })
  }
}

export const connection = new ConnectionState()
