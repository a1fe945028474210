/**
 * The JSON text of a document that many others embed unchanged (an AWS managed policy every VM
 * manager attaches, the ECS tasks trust of every task execution role), written once per object and
 * kept while the object lives. The object must not change after its first call: documents are not
 * changed after they are made (see the rule at emitFleet).
 */
export function jsonTextOnce(value: object): string {
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
  }
  return text;
}
const texts = new WeakMap<object, string>();
