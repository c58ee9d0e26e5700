"""Profiles: the validated statement of what a system promises."""

from stackcheck.profile.loader import KeyPath, LoadedProfile, Origin, load_profile, parse_set_option
from stackcheck.profile.models import PROFILE_SECTIONS, Profile, Waiver, version_specifier
from stackcheck.profile.schema import profile_json_schema, render_profile_reference

__all__ = [
    "PROFILE_SECTIONS",
    "KeyPath",
    "LoadedProfile",
    "Origin",
    "Profile",
    "Waiver",
    "load_profile",
    "parse_set_option",
    "profile_json_schema",
    "render_profile_reference",
    "version_specifier",
]
