"""How the app is put together: the web path stays light and stateless."""

from __future__ import annotations

import subprocess
import sys


def test_answering_a_call_never_imports_the_audio_pipeline_or_lingua() -> None:
    script = (
        "import sys; from ivr import create_app\n"
        "app = create_app({'IVR_ALLOW_UNSIGNED': '1'})\n"
        "app.test_client().post('/voice/en/main/key', data={'Digits': '3'})\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pydub', 'gtts', 'lingua', 'polib')\n"
        "               or m.startswith('ivr.audio'))\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
