from pydantic import BaseModel


class AppSettingsRead(BaseModel):
    registration_open: bool


class AppSettingsUpdate(BaseModel):
    registration_open: bool | None = None
