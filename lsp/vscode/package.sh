#!/bin/sh
# Packages the extension as a .vsix in this folder, without publishing it. Needs network
# access once: npm installs the language client the extension bundles, and npx fetches vsce.
set -eu
cd "$(dirname "$0")"
npm install --omit=dev --no-package-lock --no-audit --no-fund
npx --yes @vscode/vsce package --skip-license --allow-missing-repository --out neuron-nn.vsix
echo "built $(pwd)/neuron-nn.vsix: install it with 'code --install-extension neuron-nn.vsix'"
