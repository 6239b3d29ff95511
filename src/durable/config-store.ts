import { DurableObject } from "cloudflare:workers";

export class ConfigStore extends DurableObject<Env> {
  async version(): Promise<number> {
    return 0;
  }
}
