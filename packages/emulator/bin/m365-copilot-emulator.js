#!/usr/bin/env node
// The package's bin, committed rather than built: npm links bins when it installs, before the build
// has written dist/, and skips a bin whose file does not exist yet.
import '../dist/commandLine/emulatorCli.js';
