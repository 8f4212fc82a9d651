"""Provider presets as data: protocol, documented default base URL, auth style and quirks.
`GET /api/providers/presets` returns `PRESETS` as they are."""

from pydantic import BaseModel, ConfigDict, SecretStr

from llmforge.llm.base import (
    AuthStyle,
    ProviderConfig,
    Quirks,
    RetrySettings,
    TimeoutSettings,
    WireProtocol,
)


class Preset(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    protocol: WireProtocol
    base_url: str
    auth_style: AuthStyle = "bearer"
    requires_api_key: bool = True
    quirks: Quirks = Quirks()
    docs_url: str
    notes: str = ""

    def config(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        extra_headers: dict[str, str] | None = None,
        timeouts: TimeoutSettings | None = None,
        retry: RetrySettings | None = None,
        provider_id: str = "",
    ) -> ProviderConfig:
        """A ProviderConfig from this preset and the admin's own settings."""
        return ProviderConfig(
            protocol=self.protocol,
            base_url=base_url or self.base_url,
            api_key=SecretStr(api_key) if api_key else None,
            auth_style=self.auth_style,
            extra_headers=extra_headers or {},
            timeouts=timeouts or TimeoutSettings(),
            retry=retry or RetrySettings(),
            quirks=self.quirks,
            provider_id=provider_id,
        )


def _known(*models: str) -> Quirks:
    return Quirks(list_models=False, known_models=models)


PRESETS: tuple[Preset, ...] = (
    Preset(
        id="openai",
        name="OpenAI",
        protocol="openai",
        base_url="https://api.openai.com/v1",
        quirks=Quirks(max_tokens_field="max_completion_tokens", think_tags=False),
        docs_url="https://platform.openai.com/docs/api-reference/chat",
        notes="Reasoning models (o-series, gpt-5) take max_completion_tokens and reasoning_effort.",
    ),
    Preset(
        id="azure-openai",
        name="Azure OpenAI",
        protocol="openai",
        base_url="https://YOUR-RESOURCE-NAME.openai.azure.com/openai",
        auth_style="api-key",
        quirks=Quirks(
            api_version="2024-10-21",
            azure_deployments=True,
            max_tokens_field="max_completion_tokens",
            think_tags=False,
        ),
        docs_url="https://learn.microsoft.com/azure/ai-foundry/openai/reference",
        notes="Replace YOUR-RESOURCE-NAME; the model id is the deployment name. "
        "Uses the api-key header and the api-version query parameter.",
    ),
    Preset(
        id="anthropic",
        name="Anthropic",
        protocol="anthropic",
        base_url="https://api.anthropic.com",
        auth_style="x-api-key",
        quirks=Quirks(think_tags=False),
        docs_url="https://docs.anthropic.com/en/api/messages",
        notes="x-api-key and anthropic-version headers; extended thinking via reasoning effort.",
    ),
    Preset(
        id="gemini",
        name="Google Gemini",
        protocol="gemini",
        base_url="https://generativelanguage.googleapis.com/v1beta",
        auth_style="x-goog-api-key",
        quirks=Quirks(think_tags=False),
        docs_url="https://ai.google.dev/api/generate-content",
        notes="Thought summaries (includeThoughts) become reasoning; a wrong key is a 400.",
    ),
    Preset(
        id="deepseek",
        name="DeepSeek",
        protocol="openai",
        base_url="https://api.deepseek.com",
        docs_url="https://api-docs.deepseek.com/api/create-chat-completion",
        notes="deepseek-reasoner streams its chain of thought in reasoning_content.",
    ),
    Preset(
        id="dashscope",
        name="Qwen / DashScope (compatible mode)",
        protocol="openai",
        base_url="https://dashscope.aliyuncs.com/compatible-mode/v1",
        docs_url="https://help.aliyun.com/zh/model-studio/compatibility-of-openai-with-dashscope",
        notes="International endpoint: https://dashscope-intl.aliyuncs.com/compatible-mode/v1. "
        "Qwen3/QwQ thinking arrives in reasoning_content.",
    ),
    Preset(
        id="zhipu",
        name="Zhipu GLM (BigModel)",
        protocol="openai",
        base_url="https://open.bigmodel.cn/api/paas/v4",
        quirks=_known("glm-4.6", "glm-4.5", "glm-4.5-air", "glm-4.5-flash", "embedding-3"),
        docs_url="https://docs.bigmodel.cn/api-reference",
        notes="GLM-4.5+ thinking arrives in reasoning_content; no model-list endpoint.",
    ),
    Preset(
        id="moonshot",
        name="Moonshot / Kimi",
        protocol="openai",
        base_url="https://api.moonshot.cn/v1",
        docs_url="https://platform.moonshot.cn/docs/api/chat",
        notes="International endpoint: https://api.moonshot.ai/v1. "
        "Kimi thinking models send reasoning_content.",
    ),
    Preset(
        id="siliconflow",
        name="SiliconFlow",
        protocol="openai",
        base_url="https://api.siliconflow.cn/v1",
        docs_url="https://docs.siliconflow.cn/cn/api-reference/chat-completions/chat-completions",
        notes="Reasoning models (DeepSeek-R1, Qwen3) send reasoning_content.",
    ),
    Preset(
        id="volcengine-ark",
        name="Volcengine Ark (Doubao)",
        protocol="openai",
        base_url="https://ark.cn-beijing.volces.com/api/v3",
        quirks=_known(
            "doubao-seed-1-6-250615", "doubao-seed-1-6-flash-250828", "deepseek-v3-1-250821"
        ),
        docs_url="https://www.volcengine.com/docs/82379/1494384",
        notes="The model id may be an inference endpoint id (ep-...); "
        "thinking arrives in reasoning_content; no model-list endpoint.",
    ),
    Preset(
        id="qianfan",
        name="Baidu Qianfan (OpenAI-compatible v2)",
        protocol="openai",
        base_url="https://qianfan.baidubce.com/v2",
        quirks=_known("ernie-4.5-turbo-128k", "ernie-x1-turbo-32k", "ernie-speed-128k"),
        docs_url="https://cloud.baidu.com/doc/qianfan-api/s/3m7of64lb",
        notes="Bearer API key (bce-v3/...); ERNIE X1 thinking arrives in reasoning_content.",
    ),
    Preset(
        id="hunyuan",
        name="Tencent Hunyuan (OpenAI-compatible)",
        protocol="openai",
        base_url="https://api.hunyuan.cloud.tencent.com/v1",
        quirks=_known("hunyuan-turbos-latest", "hunyuan-t1-latest", "hunyuan-lite"),
        docs_url="https://cloud.tencent.com/document/product/1729/111007",
        notes="hunyuan-t1 thinking arrives in reasoning_content; no model-list endpoint.",
    ),
    Preset(
        id="minimax",
        name="MiniMax",
        protocol="openai",
        base_url="https://api.minimaxi.com/v1",
        quirks=_known("MiniMax-M2", "MiniMax-M1", "MiniMax-Text-01"),
        docs_url="https://platform.minimaxi.com/docs/api-reference/text-openai-api",
        notes="International endpoint: https://api.minimax.io/v1. "
        "MiniMax-M2 puts its thinking inside <think> tags in the content.",
    ),
    Preset(
        id="mistral",
        name="Mistral AI",
        protocol="openai",
        base_url="https://api.mistral.ai/v1",
        quirks=Quirks(stream_usage=False),
        docs_url="https://docs.mistral.ai/api/",
        notes="Rejects unknown fields, so stream_options is not sent; "
        "usage comes in the last chunk anyway.",
    ),
    Preset(
        id="groq",
        name="Groq",
        protocol="openai",
        base_url="https://api.groq.com/openai/v1",
        docs_url="https://console.groq.com/docs/api-reference",
        notes="Reasoning models answer with <think> tags (reasoning_format=raw) "
        "or a reasoning field; usage may come in x_groq.usage.",
    ),
    Preset(
        id="openrouter",
        name="OpenRouter",
        protocol="openai",
        base_url="https://openrouter.ai/api/v1",
        docs_url="https://openrouter.ai/docs/api-reference/overview",
        notes="Reasoning arrives in the reasoning field; the model list carries context lengths.",
    ),
    Preset(
        id="together",
        name="Together AI",
        protocol="openai",
        base_url="https://api.together.xyz/v1",
        docs_url="https://docs.together.ai/reference/chat-completions-1",
        notes="DeepSeek-R1 and similar put their thinking inside <think> tags; "
        "/models returns a bare JSON array.",
    ),
    Preset(
        id="xai",
        name="xAI (Grok)",
        protocol="openai",
        base_url="https://api.x.ai/v1",
        docs_url="https://docs.x.ai/docs/api-reference",
        notes="grok-3-mini sends reasoning_content and takes reasoning_effort.",
    ),
    Preset(
        id="ollama",
        name="Ollama",
        protocol="ollama",
        base_url="http://localhost:11434",
        requires_api_key=False,
        docs_url="https://github.com/ollama/ollama/blob/main/docs/api.md",
        notes="Native API; thinking models send message.thinking (think: true), "
        "older builds use <think> tags.",
    ),
    Preset(
        id="openai-compatible",
        name="OpenAI-compatible server (vLLM, LLaMA-Factory, ...)",
        protocol="openai",
        base_url="http://localhost:8000/v1",
        requires_api_key=False,
        docs_url="https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html",
        notes="vLLM, SGLang, LLaMA-Factory `llamafactory-cli api`, llama.cpp server, ...: "
        "reasoning via reasoning_content or <think> tags; usage estimated when not streamed.",
    ),
    Preset(
        id="lm-studio",
        name="LM Studio",
        protocol="openai",
        base_url="http://localhost:1234/v1",
        requires_api_key=False,
        docs_url="https://lmstudio.ai/docs/app/api/endpoints/openai",
        notes="Local server; reasoning models may use <think> tags or reasoning_content.",
    ),
)

_BY_ID = {preset.id: preset for preset in PRESETS}


def get_preset(preset_id: str) -> Preset | None:
    return _BY_ID.get(preset_id)
