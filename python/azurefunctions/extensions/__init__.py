# SPDX-License-Identifier: Apache-2.0
"""Above the HTTP streams extension mod_funcapp embeds (served only when no
real one is on sys.path: a real namespace of this name wins)."""
