; Included by electron-builder's NSIS installer (electron-builder.yml, nsis.include).
; Registers Fieldline under .json's OpenWithProgids, so Explorer offers "Open with Fieldline" for device-management
; packages, without changing which program opens .json files by default. SHCTX is HKCU or HKLM, as the
; installation is per user or per machine.

!macro customInstall
  WriteRegStr SHCTX "Software\Classes\Fieldline.DmPackage" "" "Fieldline device-management package"
  WriteRegStr SHCTX "Software\Classes\Fieldline.DmPackage\DefaultIcon" "" "$INSTDIR\${APP_EXECUTABLE_FILENAME},0"
  WriteRegStr SHCTX "Software\Classes\Fieldline.DmPackage\shell\open\command" "" '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" "%1"'
  WriteRegStr SHCTX "Software\Classes\.json\OpenWithProgids" "Fieldline.DmPackage" ""
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
!macroend

!macro customUnInstall
  DeleteRegValue SHCTX "Software\Classes\.json\OpenWithProgids" "Fieldline.DmPackage"
  DeleteRegKey SHCTX "Software\Classes\Fieldline.DmPackage"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
!macroend
