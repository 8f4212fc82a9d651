import type { ModelAdminRead, Preset, ProviderRead, TokenResponse, UserRead } from '@/api/types'

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
