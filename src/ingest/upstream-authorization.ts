// Which Authorization goes upstream with a runner's request, in this order (README, "Tokens"):
//  1. relayd's own cloud token (--token, RELAYD_TOKEN, K6_CLOUD_TOKEN, the config file, `relayd
//     login`, in the precedence of config/sources.ts), as "Token <t>", when the runner sent no
//     Authorization or only one of relayd's accepted runner tokens (--accept-token: those let a
//     runner in to relayd; the cloud need not know them);
//  2. otherwise the runner's own header, as it came (a runner token equal to a cloud token, in a
//     sidecar whose relayd has no token of its own, still works);
//  3. otherwise none, and the cloud answers the create with its own 401, which k6 prints.
export class UpstreamAuthorization {
  readonly #own: string | undefined;
  readonly #isRunnerToken: (authorization: string) => boolean;

  constructor(ownToken: string | null, isRunnerToken: (authorization: string) => boolean) {
    this.#own = ownToken === null ? undefined : `Token ${ownToken}`;
    this.#isRunnerToken = isRunnerToken;
  }

  for(runnerHeader: string | undefined): string | undefined {
    if (runnerHeader === undefined || runnerHeader.trim() === '') return this.#own;
    return this.#own !== undefined && this.#isRunnerToken(runnerHeader) ? this.#own : runnerHeader;
  }
}
