; Inno Setup script for Workbench; run through packaging/build.py --target windows-installer,
; which passes AppVersion, Flavour (cpu|cuda|vulkan) and BundleDir (the one-folder build).
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef Flavour
  #define Flavour "cpu"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\cpu\workbench"
#endif

[Setup]
AppId={{6B0F3C52-8E0B-4B7C-9D0E-3F5A1C7E2B10}
AppName=Workbench
AppVersion={#AppVersion}
AppPublisher=Workbench developers
DefaultDirName={autopf}\Workbench
DefaultGroupName=Workbench
OutputBaseFilename=Workbench-{#AppVersion}-windows-{#Flavour}-setup
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequiredOverridesAllowed=dialog

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\Workbench"; Filename: "{app}\workbench.exe"
Name: "{autodesktop}\Workbench"; Filename: "{app}\workbench.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\workbench.exe"; Parameters: "selftest --skip-window"; Description: "Run the self-test"; Flags: postinstall skipifsilent runhidden
