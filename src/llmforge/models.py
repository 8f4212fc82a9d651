"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from llmforge.admin.models import AppSetting
from llmforge.api_keys.models import ApiKey
from llmforge.audit.models import AuditEntry
from llmforge.auth.models import LoginThrottle, RefreshToken
from llmforge.base_models.models import BaseModel
from llmforge.batch.models import BatchResult, BatchRun, BatchTestRow, BatchTestSet
from llmforge.chat.models import ChatMessage, ChatSession
from llmforge.compare.models import CompareLane, CompareRun
from llmforge.datasets.models import Dataset
from llmforge.db import Base
from llmforge.dify.models import DifyApp, DifyChatSession, DifyCompareLane
from llmforge.evaluation.models import Evaluation
from llmforge.knowledge.models import KnowledgeBase, KnowledgeDocument
from llmforge.liveness.models import ServerProcess
from llmforge.prompts.models import PromptTemplate, PromptTemplateVersion
from llmforge.providers.models import Model, Provider
from llmforge.serving.models import ModelVersion
from llmforge.training.models import JobTransition, LogLine, MetricPointRow, TrainingJob
from llmforge.usage.models import UsageRecord, UserQuota
from llmforge.users.models import User

__all__ = [
    "ApiKey",
    "AppSetting",
    "AuditEntry",
    "Base",
    "BaseModel",
    "BatchResult",
    "BatchRun",
    "BatchTestRow",
    "BatchTestSet",
    "ChatMessage",
    "ChatSession",
    "CompareLane",
    "CompareRun",
    "Dataset",
    "DifyApp",
    "DifyChatSession",
    "DifyCompareLane",
    "Evaluation",
    "JobTransition",
    "KnowledgeBase",
    "KnowledgeDocument",
    "LogLine",
    "LoginThrottle",
    "MetricPointRow",
    "Model",
    "ModelVersion",
    "PromptTemplate",
    "PromptTemplateVersion",
    "Provider",
    "RefreshToken",
    "ServerProcess",
    "TrainingJob",
    "UsageRecord",
    "User",
    "UserQuota",
]
