# The module's assemblies load into their own AssemblyLoadContext: the root module bin/ClutterDR.dll (the cmdlets)
# loads into the default context; its initializer routes ClutterDR.Engine, and with it every DLL in bin/lib/, into
# the private context. Each case runs
# in a fresh pwsh (an assembly load cannot be undone), which returns its findings as objects.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    $script:ModuleDir = Split-Path -Parent $env:CLUTTERDR_MODULE_PATH
    $script:Manifest = Import-PowerShellDataFile -LiteralPath $env:CLUTTERDR_MODULE_PATH
    $script:Db = New-TestDatabase -Prefix 'iso' -Sql 'create table t as select g as id from generate_series(1, 321) g'

    # Runs pwsh with a cache folder of its own. pwsh keeps a startup profile (~/.cache/powershell/
    # StartupProfileData-NonInteractive) of the assemblies its last runs used and loads them eagerly on the next
    # start (multicore JIT): after a run that backed up, the next pwsh may load ClutterDR.Engine on its own
    # (into the private context, through the module's handler). Tests of what Import-Module itself loads must
    # not see that.
    $script:InFreshPwshCache = {
        param([scriptblock]$Call)
        $saved = $env:XDG_CACHE_HOME
        $env:XDG_CACHE_HOME = Join-Path ([IO.Path]::GetTempPath()) ('clutterdr-pwsh-cache-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        try { & $Call } finally {
            Remove-Item -LiteralPath $env:XDG_CACHE_HOME -Recurse -Force -ErrorAction SilentlyContinue
            $env:XDG_CACHE_HOME = $saved
        }
    }

    # Where each module-related assembly of the current process is loaded: "Name Version@Context".
    $script:ContextReport = {
        [AppDomain]::CurrentDomain.GetAssemblies() |
            Where-Object { $_.GetName().Name -match '^(ClutterDR|Npgsql|AWSSDK|ZstdSharp|System\.Diagnostics\.DiagnosticSource|System\.IO\.Hashing)' } |
            ForEach-Object {
                $alc = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_)
                '{0} {1}@{2}' -f $_.GetName().Name, $_.GetName().Version, ($alc -eq [System.Runtime.Loader.AssemblyLoadContext]::Default ? 'Default' : $alc.Name)
            } | Sort-Object
    }.ToString()
}

Describe 'Module layout' {
    It 'has the cmdlet assembly alone in bin/, the engine and every dependency in bin/lib/, and no System.Management.Automation' {
        Get-ChildItem -LiteralPath $ModuleDir -Filter *.dll -File | Should -BeNullOrEmpty
        $bin = Join-Path $ModuleDir 'bin'
        $lib = Join-Path $bin 'lib'
        @(Get-ChildItem -LiteralPath $bin -Filter *.dll -File).Name | Should -Be @('ClutterDR.dll')
        foreach ($dll in 'ClutterDR.Engine', 'Npgsql', 'AWSSDK.Core', 'AWSSDK.S3', 'ZstdSharp', 'BouncyCastle.Cryptography', 'System.Diagnostics.DiagnosticSource', 'Cronos') {
            Join-Path $lib "$dll.dll" | Should -Exist
        }
        Get-ChildItem -LiteralPath $ModuleDir -Filter System.Management.Automation.dll -File -Recurse | Should -BeNullOrEmpty
        Get-ChildItem -LiteralPath $ModuleDir -Filter *.psm1 -File -Recurse | Should -BeNullOrEmpty -Because 'a script root module would cost import time'
        $Manifest.RootModule | Should -Be 'bin/ClutterDR.dll'
    }
}

Describe 'PowerShell''s scan of the root module' {
    It 'lists every public type of bin/ClutterDR.dll without loading the engine' {
        # Import-Module reads every exported type before it runs the module initializer that routes the engine
        # into the private context; a public type that needs the engine to load (an engine base type or
        # interface, an engine enum or struct as a field) would load it too early, into nowhere.
        $r = & $InFreshPwshCache { & $Pwsh -NoProfile -NonInteractive -Command {
            param($Dll)
            $failure = $null
            try { $types = [System.Reflection.Assembly]::LoadFrom($Dll).GetExportedTypes() } catch { $failure = $_.Exception.InnerException.Message }
            [pscustomobject]@{
                Failure = $failure
                Types = @($types).Count
                EngineLoaded = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'ClutterDR.Engine' }).Count
            }
        } -args (Join-Path (Join-Path $ModuleDir 'bin') 'ClutterDR.dll') }
        $r.Failure | Should -BeNullOrEmpty -Because 'a public type of ClutterDR.dll must not need ClutterDR.Engine to load (see AsyncCmdlet.Sink)'
        $r.Types | Should -BeGreaterThan @($Manifest.CmdletsToExport).Count
        $r.EngineLoaded | Should -Be 0
    }
}

Describe 'An early request for the engine' {
    It 'fails before the module initializer ran, and does not stop the engine loading privately after it' {
        # pwsh's startup profile replay (multicore JIT) can compile ClutterDR.dll methods, and so ask for the
        # engine, right after PowerShell loads the root module and before its initializer routes the engine.
        $r = & $InFreshPwshCache { & $Pwsh -NoProfile -NonInteractive -Command {
            param($Dll, $Module, $Missing)
            $null = [System.Reflection.Assembly]::LoadFrom($Dll)
            $early = try { $null = [System.Reflection.Assembly]::Load('ClutterDR.Engine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null'); 'loaded' } catch { $_.Exception.InnerException.GetType().Name }
            Import-Module $Module
            Get-ClutterBackup $Missing -ErrorAction SilentlyContinue -ErrorVariable failure
            [pscustomobject]@{
                Early   = $early
                ErrorId = "$($failure[0].FullyQualifiedErrorId)"
                Engine  = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'ClutterDR.Engine' } |
                        ForEach-Object { [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name })
            }
        } -args (Join-Path (Join-Path $ModuleDir 'bin') 'ClutterDR.dll'), $env:CLUTTERDR_MODULE_PATH, (Join-Path (New-TestFolder) 'nothing-here') }
        $r.Early | Should -Be 'FileNotFoundException'
        $r.ErrorId | Should -BeLike 'LocationNotFound,*' -Because 'the cmdlet ran on the engine'
        $r.Engine | Should -Be @('ClutterDR')
    }
}

Describe 'Import-Module ClutterDR' {
    It 'exports the manifest''s cmdlets from bin/ClutterDR.dll in the default context, and loads neither the engine nor any SDK yet' {
        $r = & $InFreshPwshCache { & $Pwsh -NoProfile -NonInteractive -Command {
            param($Module, $Report)
            # Who loads the engine, if anything does (the stack of the load, for the failure message).
            # In C#: the load may happen on any thread, where a script block handler has no runspace.
            Add-Type -TypeDefinition @'
public static class EngineLoadSpy
{
    public static readonly System.Collections.Concurrent.ConcurrentQueue<string> Stacks = new System.Collections.Concurrent.ConcurrentQueue<string>();
    public static void Start()
    {
        System.AppDomain.CurrentDomain.AssemblyLoad += (s, e) =>
        {
            if (e.LoadedAssembly.GetName().Name == "ClutterDR.Engine") Stacks.Enqueue(System.Environment.StackTrace);
        };
    }
}
'@
            [EngineLoadSpy]::Start()
            $m = Import-Module $Module -PassThru
            $c = Get-Command Backup-ClutterDatabase
            [pscustomobject]@{
                Exported   = @((Get-Command -Module ClutterDR -CommandType Cmdlet).Name | Sort-Object)
                Context    = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($c.ImplementingType.Assembly).Name
                DllPath    = $c.ImplementingType.Assembly.Location
                ModuleBase = $m.ModuleBase
                Loaded     = @(& ([scriptblock]::Create($Report)))
                EngineBy   = @([EngineLoadSpy]::Stacks) -join "`n----`n"
            }
        } -args $env:CLUTTERDR_MODULE_PATH, $ContextReport }
        $LASTEXITCODE | Should -Be 0
        $r.Exported | Should -Be @($Manifest.CmdletsToExport | Sort-Object)
        $r.Context | Should -Be 'Default'
        $r.DllPath | Should -Be (Join-Path (Join-Path $ModuleDir 'bin') 'ClutterDR.dll')
        $r.ModuleBase | Should -Be $ModuleDir
        $v = [version]$Manifest.ModuleVersion   # the build gives the assemblies the module's version
        $r.Loaded | Where-Object { $_ -match '^(ClutterDR|Npgsql|AWSSDK|ZstdSharp|BouncyCastle)' } |
            Should -Be ('ClutterDR {0}.{1}.{2}.{3}@Default' -f $v.Major, $v.Minor, [math]::Max($v.Build, 0), [math]::Max($v.Revision, 0)) -Because "the engine was loaded by:`n$($r.EngineBy)"
        # Lazy: the engine and the heavy SDKs load on the first cmdlet that needs them, not at import.
    }

    It 'loads ClutterDR.Engine, Npgsql, AWSSDK.*, ZstdSharp and DiagnosticSource 9 from bin/lib/ into the private context on use, none into the default one' {
        $bucket = New-TestBucket
        $r = & $Pwsh -NoProfile -NonInteractive -Command {
            param($Module, $Report, $Url, $Dest, $Endpoint)
            $ErrorActionPreference = 'Stop'
            Import-Module $Module
            $b = Backup-ClutterDatabase -ConnectionString $Url -Destination $Dest -EndpointUrl $Endpoint
            [pscustomobject]@{ Rows = $b.Tables[0].Rows; Loaded = @(& ([scriptblock]::Create($Report))) }
        } -args $env:CLUTTERDR_MODULE_PATH, $ContextReport, (Get-TestPgUrl $Db), "s3://$bucket/iso", $S3Endpoint
        $LASTEXITCODE | Should -Be 0
        $r.Rows | Should -Be 321
        foreach ($name in 'ClutterDR.Engine', 'Npgsql', 'AWSSDK.Core', 'AWSSDK.S3', 'ZstdSharp') {
            @($r.Loaded | Where-Object { $_ -like "$name *@ClutterDR" }).Count | Should -Be 1 -Because "$name must load privately ($($r.Loaded -join '; '))"
            @($r.Loaded | Where-Object { $_ -like "$name *@Default" }).Count | Should -Be 0 -Because "$name must not load into the default context"
        }
        # Npgsql 10 wants 9.0: the module's own copy, whatever version the runtime has.
        $r.Loaded | Should -Contain 'System.Diagnostics.DiagnosticSource 9.0.0.0@ClutterDR'
    }

    It 'Import-Module -Force twice, and Remove-Module then Import-Module, keep every cmdlet working in one context' {
        $folder = New-TestFolder
        $r = & $Pwsh -NoProfile -NonInteractive -Command {
            param($Module, $Url, $Folder)
            $ErrorActionPreference = 'Stop'
            $steps = [ordered]@{}
            Import-Module $Module
            $null = Backup-ClutterDatabase -ConnectionString $Url -Destination $Folder
            Import-Module $Module -Force
            $steps.Force1 = @((Get-Command -Module ClutterDR -CommandType Cmdlet).Name).Count
            Import-Module $Module -Force
            $steps.Force2 = @((Get-Command -Module ClutterDR -CommandType Cmdlet).Name).Count
            $steps.ListAfterForce = @(Get-ClutterBackup $Folder).Count
            $null = Backup-ClutterDatabase -ConnectionString $Url -Destination $Folder
            Remove-Module ClutterDR
            $steps.AfterRemove = @(Get-Command -Module ClutterDR -CommandType Cmdlet -ErrorAction SilentlyContinue).Count
            Import-Module $Module
            $steps.Reimported = @((Get-Command -Module ClutterDR -CommandType Cmdlet).Name).Count
            $steps.ListAfterReimport = @(Get-ClutterBackup $Folder).Count
            $steps.Contexts = @([System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'ClutterDR').Count
            $steps.CmdletAssemblies = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'ClutterDR' }).Count
            [pscustomobject]$steps
        } -args $env:CLUTTERDR_MODULE_PATH, (Get-TestPgUrl $Db), $folder
        $LASTEXITCODE | Should -Be 0
        $n = @($Manifest.CmdletsToExport).Count
        $r.Force1 | Should -Be $n
        $r.Force2 | Should -Be $n
        $r.ListAfterForce | Should -Be 1
        $r.AfterRemove | Should -Be 0
        $r.Reimported | Should -Be $n
        $r.ListAfterReimport | Should -Be 2
        $r.Contexts | Should -Be 1 -Because 'the private context is made once per process and reused'
        $r.CmdletAssemblies | Should -Be 1
    }
}

Describe 'Several runspaces in one process' {
    It 'ForEach-Object -Parallel runspaces import the module (and -Force it) after the first one, with every cmdlet working' {
        $folder = New-TestFolder
        $r = & $Pwsh -NoProfile -NonInteractive -Command {
            param($Module, $Url, $Folder)
            $ErrorActionPreference = 'Stop'
            Import-Module $Module
            $null = Backup-ClutterDatabase -ConnectionString $Url -Destination $Folder
            1..3 | ForEach-Object -ThrottleLimit 3 -Parallel {
                $ErrorActionPreference = 'Stop'
                Import-Module $using:Module
                $listed = @(Get-ClutterBackup $using:Folder).Count
                Import-Module $using:Module -Force
                [pscustomobject]@{
                    Cmdlets = @(Get-Command -Module ClutterDR -CommandType Cmdlet).Count
                    Listed = $listed
                    ListedAfterForce = @(Get-ClutterBackup $using:Folder).Count
                }
            }
        } -args $env:CLUTTERDR_MODULE_PATH, (Get-TestPgUrl $Db), $folder
        $LASTEXITCODE | Should -Be 0
        @($r).Count | Should -Be 3
        foreach ($one in $r) {
            $one.Cmdlets | Should -Be @($Manifest.CmdletsToExport).Count
            $one.Listed | Should -Be 1
            $one.ListedAfterForce | Should -Be 1
        }
    }
}

Describe 'Module auto-loading' {
    It 'a cmdlet called by name, with the module folder on PSModulePath and no Import-Module, loads the module' {
        $r = & $Pwsh -NoProfile -NonInteractive -Command {
            param($ModulesRoot, $Missing)
            $env:PSModulePath = $ModulesRoot + [IO.Path]::PathSeparator + $env:PSModulePath
            Get-ClutterBackup $Missing -ErrorAction SilentlyContinue -ErrorVariable failure
            [pscustomobject]@{ ErrorId = $failure[0].FullyQualifiedErrorId; ModuleType = "$((Get-Module ClutterDR).ModuleType)" }
        } -args (Split-Path -Parent $ModuleDir), (Join-Path (New-TestFolder) 'nothing-here')
        $r.ErrorId | Should -BeLike 'LocationNotFound,*'
        $r.ModuleType | Should -Be 'Binary'
    }
}

Describe 'Get-Help for cmdlets in the private context' {
    It 'reads ModuleBase/en-US/ClutterDR.dll-Help.xml, also after Import-Module -Force' {
        # A copy of the built module with a one-cmdlet MAML fixture, so the test does not depend on the real help.
        $copy = Join-Path (New-TestFolder) 'ClutterDR'
        Copy-Item -LiteralPath $ModuleDir -Destination $copy -Recurse
        $helpDir = Join-Path $copy 'en-US'
        $null = New-Item -ItemType Directory -Path $helpDir -Force
        Copy-Item -LiteralPath (Join-Path (Join-Path (Join-Path (Split-Path -Parent $PSScriptRoot) 'Fixtures') 'help') 'ClutterDR.dll-Help.xml') -Destination $helpDir -Force
        $r = & $Pwsh -NoProfile -NonInteractive -Command {
            param($Module)
            Import-Module $Module
            $first = (Get-Help Get-ClutterBackup).Synopsis
            Import-Module $Module -Force
            [pscustomobject]@{ First = $first; AfterForce = (Get-Help Get-ClutterBackup).Synopsis; File = (Get-Command Get-ClutterBackup).HelpFile }
        } -args (Join-Path $copy 'ClutterDR.psd1')
        $r.First | Should -Be 'FIXTURE: lists the backups at a location.'
        $r.AfterForce | Should -Be 'FIXTURE: lists the backups at a location.'
        $r.File | Should -Be (Join-Path $helpDir 'ClutterDR.dll-Help.xml')
    }
}
