"""API schemas of logging in."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TokenPublic(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…", "token_type": "bearer", "expires_in": 3600}
            ]
        }
    }

    access_token: str = Field(description="a JWT: send it as `Authorization: Bearer <token>`")
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until it expires")
