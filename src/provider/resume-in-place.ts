// A login page's answer resumes its authorization in the same request (src/login/interaction-routes.ts
// hands the request to oidc-provider's resume). The answer goes along with the request instead of
// through the store, on the interaction the request has already loaded and checked: oidc-provider's
// resume, which would find the interaction again, is given that one, answer and all, and goes on to
// delete it. That is two store round trips fewer per login (a write and a read).
//
// Not saving it first is also what keeps a twice-sent form to one code: a save of the answer by the
// second request, after the first had resumed and deleted the interaction, would store it again for
// the second to resume too. Now each request resumes the interaction as it finds it, and only the
// one whose delete removed it goes on (single-use.ts).
import type { IncomingMessage } from 'node:http';
import Provider from 'oidc-provider';

type InteractionResult = Parameters<Provider['interactionResult']>[2];

type Interaction = InstanceType<Provider['Interaction']>;

const ANSWERED = Symbol('the interaction this request answered, for its resume in the same request');
type Carrying = IncomingMessage & { [ANSWERED]?: Interaction };

/** Gives this request's resume the interaction it loaded, with the person's answer as its result. */
export function carryAnswer(req: IncomingMessage, interaction: Interaction, result: InteractionResult): void {
  interaction.result = result;
  (req as Carrying)[ANSWERED] = interaction;
}

export function takingCarriedAnswers(provider: Provider): void {
  const model = provider.Interaction as unknown as { find(id: string, options?: object): Promise<Interaction | undefined> };
  const find = model.find;
  model.find = async function findAnswered(this: unknown, id: string, options?: object): Promise<Interaction | undefined> {
    const answered = (Provider.ctx?.req as Carrying | undefined)?.[ANSWERED];
    return answered?.uid === id ? answered : find.call(this, id, options);
  };
}
