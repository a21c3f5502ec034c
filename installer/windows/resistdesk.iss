; Inno Setup script for a Windows installer of the one-folder bundle.
; Build the bundle on Windows first (same spec):  pyinstaller installer\resistdesk.spec
; then:  iscc /DVersion=0.1.0 installer\windows\resistdesk.iss
; NOT YET TESTED on Windows (see README, "Installer").
#ifndef Version
  #define Version "0.1.0"
#endif
[Setup]
AppName=ResistDesk
AppVersion={#Version}
DefaultDirName={localappdata}\Programs\ResistDesk
PrivilegesRequired=lowest
OutputBaseFilename=ResistDesk-{#Version}-setup
OutputDir=..\..\dist
[Files]
Source: "..\..\dist\ResistDesk-{#Version}\*"; DestDir: "{app}"; Flags: recursesubdirs
[Icons]
Name: "{userprograms}\ResistDesk"; Filename: "{app}\resistdesk.exe"
