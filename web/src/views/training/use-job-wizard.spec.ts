import { describe, expect, it } from 'vitest'
import type { Hyperparameters } from '@/api/training'
import { jobBody, type WizardForm } from './use-job-wizard'

const form: WizardForm = {
  name: '  demo  ',
  baseModelId: 2,
  datasetId: 5,
  method: 'qlora4',
  stage: 'auto',
  template: 'smollm2',
  presetId: 'quick-test',
  gpuCount: 1,
  priority: 3,
  swanlabMode: 'local',
  swanlabProject: '',
  swanlabKey: 'secret',
  advanced: false,
  advancedYaml: 'lora_rank: 4\n',
}
const params = { learning_rate: 0.001, max_steps: 10 } as Hyperparameters

describe('jobBody', () => {
  it('sends the form as the API wants it', () => {
    const body = jobBody(form, params)
    expect(body).toMatchObject({
      name: 'demo',
      base_model_id: 2,
      dataset_id: 5,
      method: 'qlora4',
      stage: null,
      template: 'smollm2',
      priority: 3,
      advanced_yaml: null,
      swanlab: { mode: 'local', project: 'llmforge', api_key: null },
    })
    expect(body.hyperparameters).toEqual(params)
  })

  it('sends the edited YAML, the chosen stage and the cloud key only when asked', () => {
    const body = jobBody({ ...form, advanced: true, stage: 'dpo', swanlabMode: 'cloud' }, params)
    expect(body.advanced_yaml).toBe('lora_rank: 4\n')
    expect(body.stage).toBe('dpo')
    expect(body.swanlab?.api_key).toBe('secret')
  })
})
