import type {
  ChatMessageRead,
  ChatSessionDetail,
  ModelAdminRead,
  Preset,
  ProviderRead,
  TokenResponse,
  UserRead,
} from '@/api/types'
import type { PromptTemplateRead, PromptVersionRead } from '@/api/types'
import type { Dashboard, MyUsage, QuotaRead } from '@/api/types'
import type { CompareLaneRead, CompareRunRead } from '@/api/types'

export function makeUser(overrides: Partial<UserRead> = {}): UserRead {
  return {
    id: 1,
    email: 'ada@example.com',
    display_name: 'Ada',
    role: 'user',
    is_active: true,
    created_at: '2025-01-01T00:00:00Z',
    last_login_at: null,
    ...overrides,
  }
}

export function makeSession(token = 'token-1', user: UserRead = makeUser()): TokenResponse {
  return { access_token: token, token_type: 'bearer', expires_in: 900, user }
}

export function makePreset(overrides: Partial<Preset> = {}): Preset {
  return {
    id: 'openai-compatible',
    name: 'OpenAI-compatible server',
    protocol: 'openai',
    base_url: 'http://localhost:8000/v1',
    auth_style: 'bearer',
    requires_api_key: false,
    quirks: {
      anthropic_version: '2023-06-01',
      azure_deployments: false,
      known_models: [],
      list_models: true,
      max_tokens_field: 'max_tokens',
      stream_usage: true,
      think_tags: true,
    },
    docs_url: 'https://docs.vllm.ai/',
    notes: '',
    ...overrides,
  }
}

export function makeProvider(overrides: Partial<ProviderRead> = {}): ProviderRead {
  return {
    id: 1,
    name: 'local',
    preset: 'openai-compatible',
    protocol: 'openai',
    base_url: 'http://127.0.0.1:9000/v1',
    api_key_hint: 'sk-…a1b2',
    has_api_key: true,
    extra_header_names: [],
    timeout_seconds: 60,
    enabled: true,
    last_refreshed_at: null,
    last_test: null,
    model_count: 0,
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    ...overrides,
  }
}

export function makeModel(overrides: Partial<ModelAdminRead> = {}): ModelAdminRead {
  return {
    id: 10,
    provider_id: 1,
    provider_name: 'local',
    model_id: 'gpt-test',
    display_name: 'gpt-test',
    capabilities: ['chat'],
    context_length: null,
    input_price_per_mtok: null,
    output_price_per_mtok: null,
    parameters: {},
    enabled: false,
    available: true,
    visibility: 'all',
    allowed_roles: [],
    allowed_user_ids: [],
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    ...overrides,
  }
}

export function makePromptTemplate(overrides: Partial<PromptTemplateRead> = {}): PromptTemplateRead {
  return {
    id: 7,
    owner_id: 1,
    name: 'Translator',
    description: 'Translate text',
    category: 'writing',
    tags: ['i18n'],
    body: 'Translate {{text}} into {{language}}.',
    variables: [
      { name: 'text', description: 'What to translate', default: null, required: true },
      { name: 'language', description: '', default: 'French', required: false },
    ],
    shared: false,
    current_version: 2,
    editable: true,
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-02T00:00:00Z',
    ...overrides,
  }
}

export function makePromptVersion(overrides: Partial<PromptVersionRead> = {}): PromptVersionRead {
  const template = makePromptTemplate()
  return {
    template_id: template.id,
    version: template.current_version,
    name: template.name,
    description: template.description,
    category: template.category,
    tags: template.tags,
    body: template.body,
    variables: template.variables,
    created_by: 1,
    created_at: '2025-01-02T00:00:00Z',
    ...overrides,
  }
}

export function makeMessage(overrides: Partial<ChatMessageRead> = {}): ChatMessageRead {
  return {
    id: 1,
    parent_id: null,
    role: 'user',
    content: 'Hello',
    reasoning: '',
    status: 'complete',
    error: null,
    model_id: null,
    model_name: null,
    provider_name: null,
    ttft_ms: null,
    latency_ms: null,
    reasoning_ms: null,
    input_tokens: null,
    output_tokens: null,
    tokens_estimated: false,
    cost: null,
    finish_reason: null,
    omitted_messages: 0,
    created_at: '2025-01-01T00:00:00Z',
    variant_ids: [],
    ...overrides,
  }
}

export function makeChatSession(
  overrides: Partial<ChatSessionDetail> = {},
): ChatSessionDetail {
  return {
    id: 7,
    title: 'A chat',
    pinned: false,
    model_id: 10,
    system_prompt: '',
    parameters: {},
    knowledge_base_ids: [],
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    last_message_at: '2025-01-01T00:00:00Z',
    messages: [],
    ...overrides,
  }
}

export function makeMyUsage(overrides: Partial<MyUsage> = {}): MyUsage {
  return {
    since: '2025-03-01T00:00:00Z',
    until: '2025-03-04T00:00:00Z',
    totals: { calls: 3, input_tokens: 1200, output_tokens: 34000, cost: '0.012300' },
    by_day: [
      { day: '2025-03-01', calls: 2, input_tokens: 1000, output_tokens: 30000, cost: '0.010000' },
      { day: '2025-03-03', calls: 1, input_tokens: 200, output_tokens: 4000, cost: '0.002300' },
    ],
    by_model: [
      { model_name: 'gpt-test', provider_name: 'local', calls: 3, input_tokens: 1200, output_tokens: 34000, cost: '0.012300' },
    ],
    by_day_and_model: [
      { day: '2025-03-01', model_name: 'gpt-test', provider_name: 'local', calls: 2, input_tokens: 1000, output_tokens: 30000, cost: '0.010000' },
      { day: '2025-03-03', model_name: 'gpt-test', provider_name: 'local', calls: 1, input_tokens: 200, output_tokens: 4000, cost: '0.002300' },
    ],
    budget: {
      token_limit: 100000,
      cost_limit: null,
      tokens_used: 35200,
      cost_used: '0.012300',
      resets_at: '2025-04-01T00:00:00Z',
      is_default: true,
    },
    ...overrides,
  }
}

export function makeDashboard(overrides: Partial<Dashboard> = {}): Dashboard {
  const usage = makeMyUsage()
  return {
    since: usage.since,
    until: usage.until,
    users_total: 12,
    users_active_7d: 5,
    chat_sessions: 40,
    chat_messages: 310,
    totals: usage.totals,
    by_day_and_model: usage.by_day_and_model,
    top_users: [{ user_id: 1, email: 'ada@example.com', calls: 3, tokens: 35200, cost: '0.012300' }],
    providers: [{ provider_name: 'local', calls: 3, errors: 1, error_rate: 0.3333, median_ttft_ms: 420.5 }],
    training_jobs_by_state: {},
    ...overrides,
  }
}

export function makeQuota(overrides: Partial<QuotaRead> = {}): QuotaRead {
  return {
    user_id: 2,
    email: 'bob@example.com',
    token_limit: 50000,
    cost_limit: '5.0000',
    tokens_used: 1000,
    cost_used: '0.5000',
    resets_at: '2025-04-01T00:00:00Z',
    is_default: false,
    ...overrides,
  }
}

export function makeCompareLane(overrides: Partial<CompareLaneRead> = {}): CompareLaneRead {
  return {
    id: 1,
    position: 0,
    label: 'A',
    model_id: 10,
    model_name: 'Fast',
    provider_name: 'local',
    parameters: {},
    content: '',
    reasoning: '',
    status: 'streaming',
    error: null,
    ttft_ms: null,
    latency_ms: null,
    reasoning_ms: null,
    input_tokens: null,
    output_tokens: null,
    tokens_estimated: false,
    cost: null,
    tokens_per_second: null,
    finish_reason: null,
    rating: null,
    ...overrides,
  }
}

export function makeCompareRun(lanes: CompareLaneRead[], overrides: Partial<CompareRunRead> = {}): CompareRunRead {
  return {
    id: 5,
    system_prompt: '',
    blind: false,
    revealed: true,
    winner_lane_id: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    prompt: 'Hi',
    lanes,
    knowledge_base_ids: [],
    ...overrides,
  }
}
