import { expect } from 'chai';
import { KedaInputError, parseKedaManifests } from './manifests.ts';

function problemsOf(text: string): readonly string[] {
  try {
    parseKedaManifests(text, 'keda.yaml');
  } catch (error) {
    if (error instanceof KedaInputError) return error.problems;
    throw error;
  }
  throw new Error('expected the input to be refused');
}

const scaledObject = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: orders
spec:
  scaleTargetRef:
    name: orders
  triggers:
    - type: kafka
      metadata:
        bootstrapServers: kafka:9092
        consumerGroup: orders
        topic: orders
        lagThreshold: 50
`;

describe('KEDA manifests', () => {
  it('reads ScaledObjects with KEDA\'s defaults for scaleTargetRef, and metadata numbers as text', () => {
    const { scaledObjects } = parseKedaManifests(scaledObject, 'keda.yaml');
    expect(scaledObjects).to.have.length(1);
    const [object] = scaledObjects;
    expect(object?.spec.scaleTargetRef).to.deep.equal({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders' });
    expect(object?.spec.triggers[0]?.metadata.lagThreshold).to.equal('50');
    expect(object?.origin).to.deep.equal({ sourceName: 'keda.yaml', line: 1 });
  });

  it('names the line and column of a YAML syntax error', () => {
    // The second document's consumerGroup is indented one column short.
    const broken = `${scaledObject}---\n${scaledObject.replace('        consumerGroup', '       consumerGroup')}`;
    expect(problemsOf(broken)).to.deep.equal(['keda.yaml:27:1: YAML syntax error: All mapping items must start at the same column']);
  });

  it('names the line and the path of a field with the wrong shape', () => {
    const wrong = scaledObject.replace('  triggers:\n', '  pollingInterval: soon\n  triggers:\n');
    expect(problemsOf(wrong)).to.deep.equal(['keda.yaml:8: ScaledObject orders: spec.pollingInterval: expected number, received string']);
    const noTriggers = scaledObject.slice(0, scaledObject.indexOf('  triggers:'));
    expect(problemsOf(noTriggers)).to.deep.equal(['keda.yaml:6: ScaledObject orders: spec.triggers: is required']);
  });

  it('reads the items of a List, decodes Secrets, and lists what it skips', () => {
    const list = `apiVersion: v1
kind: List
items:
  - ${scaledObject.trimEnd().split('\n').join('\n    ')}
  - apiVersion: v1
    kind: Secret
    metadata: {name: kafka}
    data: {sasl: cGxhaW50ZXh0}
  - apiVersion: keda.sh/v1alpha1
    kind: ScaledJob
    metadata: {name: batch}
    spec: {}
`;
    const manifests = parseKedaManifests(list, 'list.yaml');
    expect(manifests.scaledObjects.map((object) => object.origin.line)).to.deep.equal([4]);
    expect(manifests.configData).to.deep.equal([{ kind: 'Secret', name: 'kafka', values: { sasl: 'plaintext' } }]);
    expect(manifests.skipped.map((skipped) => [skipped.kind, skipped.name, skipped.origin.line])).to.deep.equal([['ScaledJob', 'batch', 22]]);
  });

  it('refuses a document that is not a Kubernetes object', () => {
    expect(problemsOf('- just\n- a list\n')).to.deep.equal(['keda.yaml:1: a document must be a Kubernetes object (a mapping with apiVersion and kind)']);
  });
});
