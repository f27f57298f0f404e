# Help: the converter of our own (tools/HelpConverter.psm1, pure logic) and Get-Help on the built module, for
# every exported cmdlet: synopsis, description, examples, every parameter described.
BeforeDiscovery {
    Import-Module $env:CLUTTERDR_MODULE_PATH
    $script:Cmdlets = @((Get-Module ClutterDR).ExportedCmdlets.Keys | Sort-Object | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    Import-Module $env:CLUTTERDR_MODULE_PATH
    $repoRoot = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
    Import-Module (Join-Path $repoRoot 'tools' 'HelpConverter.psm1') -Force
    $script:Common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters

    $script:SamplePage = @'
---
external help file: Sample.dll-Help.xml
Module Name: Sample
schema: 2.0.0
---

# Get-Sample

## SYNOPSIS
Gets samples, wrapped
over two lines.

## SYNTAX

### ByName (Default)
```
Get-Sample [-Name] <String> [<CommonParameters>]
```

### ById
```
Get-Sample -Id <Int32> [-Force] [<CommonParameters>]
```

## DESCRIPTION
The **Get-Sample** cmdlet gets samples.

- first item
- second item
  continued

## EXAMPLES

### Example 1: Get one
```powershell
Get-Sample -Name a
Get-Sample -Name b
```

It gets `a`, then b.

### Example 2: By id
```powershell
Get-Sample -Id 3
```

Gets sample 3.

## PARAMETERS

### -Force
Forces it.

```yaml
Type: SwitchParameter
Parameter Sets: ById
Aliases:

Required: False
Position: Named
Default value: False
Accept pipeline input: False
Accept wildcard characters: False
```

### -Id
The id & more.

```yaml
Type: Int32
Parameter Sets: ById
Aliases:

Required: True
Position: Named
Default value: None
Accept pipeline input: True (ByPropertyName)
Accept wildcard characters: False
```

### -Name
The name.

```yaml
Type: String
Parameter Sets: ByName
Aliases: N
Accepted values: a, b

Required: True
Position: 0
Default value: None
Accept pipeline input: False
Accept wildcard characters: True
```

### CommonParameters
This cmdlet supports the common parameters.

## INPUTS

### System.String
A name.

## OUTPUTS

### Sample.Thing
A thing.

## NOTES
Note one.

## RELATED LINKS

[Set-Sample](Set-Sample.md)

[Online](https://example.com/sample)
'@
}

Describe 'Help converter (pure logic)' {
    It 'parses every section of a platyPS page' {
        $c = ConvertFrom-HelpMarkdown -Markdown $SamplePage
        $c.Name | Should -Be 'Get-Sample'
        $c.Synopsis | Should -Be 'Gets samples, wrapped over two lines.'
        $c.Description | Should -Be @('The Get-Sample cmdlet gets samples.', '- first item', '- second item continued')
        $c.SyntaxSets.Name | Should -Be @('ByName', 'ById')
        $c.SyntaxSets[0].IsDefault | Should -BeTrue
        $c.Examples.Count | Should -Be 2
        $c.Examples[0].Title | Should -Be 'Example 1: Get one'
        $c.Examples[0].Code | Should -Be "Get-Sample -Name a`nGet-Sample -Name b"
        $c.Examples[0].Remarks | Should -Be @('It gets `a`, then b.')
        $c.Parameters.Name | Should -Be @('Force', 'Id', 'Name')
        $name = $c.Parameters | Where-Object Name -EQ 'Name'
        $name.Description | Should -Be @('The name.')
        $name.Position | Should -Be '0'
        $name.Required | Should -BeTrue
        $name.Globbing | Should -BeTrue
        $name.Aliases | Should -Be 'N'
        $name.AcceptedValues | Should -Be @('a', 'b')
        ($c.Parameters | Where-Object Name -EQ 'Id').PipelineInput | Should -Be 'True (ByPropertyName)'
        $c.Inputs[0].Type | Should -Be 'System.String'
        $c.Outputs[0].Description | Should -Be @('A thing.')
        $c.Notes | Should -Be @('Note one.')
        $c.RelatedLinks.Text | Should -Be @('Set-Sample', 'Online')
        $c.RelatedLinks[1].Uri | Should -Be 'https://example.com/sample'
        $c.RelatedLinks[0].Uri | Should -Be ''
    }

    It 'writes MAML that Get-Help reads: one syntax item per parameter set, escaped text, switches without a value' {
        [xml]$x = ConvertTo-MamlHelp -Command (ConvertFrom-HelpMarkdown -Markdown $SamplePage)
        $ns = [Xml.XmlNamespaceManager]::new($x.NameTable)
        $ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
        $ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
        $ns.AddNamespace('dev', 'http://schemas.microsoft.com/maml/dev/2004/10')
        $ns.AddNamespace('msh', 'http://msh')
        $x.SelectSingleNode('/msh:helpItems', $ns).GetAttribute('schema') | Should -Be 'maml'
        $cmd = $x.SelectSingleNode('//command:command', $ns)
        $cmd.SelectSingleNode('command:details/command:name', $ns).InnerText | Should -Be 'Get-Sample'
        $cmd.SelectSingleNode('command:details/command:verb', $ns).InnerText | Should -Be 'Get'
        $cmd.SelectSingleNode('command:details/command:noun', $ns).InnerText | Should -Be 'Sample'
        $items = $cmd.SelectNodes('command:syntax/command:syntaxItem', $ns)
        $items.Count | Should -Be 2
        @($items[0].SelectNodes('command:parameter/maml:name', $ns).InnerText) | Should -Be @('Name')
        @($items[1].SelectNodes('command:parameter/maml:name', $ns).InnerText) | Should -Be @('Id', 'Force')   # required first
        $force = $cmd.SelectSingleNode('command:parameters/command:parameter[maml:name="Force"]', $ns)
        $force.SelectSingleNode('command:parameterValue', $ns) | Should -BeNullOrEmpty
        $id = $cmd.SelectSingleNode('command:parameters/command:parameter[maml:name="Id"]', $ns)
        $id.SelectSingleNode('maml:description/maml:para', $ns).InnerText | Should -Be 'The id & more.'
        $id.GetAttribute('required') | Should -Be 'true'
        $id.GetAttribute('pipelineInput') | Should -Be 'True (ByPropertyName)'
        $cmd.SelectNodes('command:examples/command:example', $ns).Count | Should -Be 2
        $cmd.SelectSingleNode('command:examples/command:example/dev:code', $ns).InnerText | Should -Be "Get-Sample -Name a`nGet-Sample -Name b"
    }

    It 'refuses a page without a command title' {
        { ConvertFrom-HelpMarkdown -Markdown "## SYNOPSIS`nNo title." } | Should -Throw '*title*'
    }

    It 'turns an about page into indented text with plain headings' {
        $txt = ConvertTo-AboutHelpText -Markdown @'
# about_Sample

## SHORT DESCRIPTION
Short **bold**.

### Details
```
 code
```
'@
        $lines = $txt -split '\r?\n'
        $lines[0] | Should -Be 'about_Sample'
        $lines | Should -Contain 'SHORT DESCRIPTION'
        $lines | Should -Contain '    Short bold.'
        $lines | Should -Contain '  Details'
        $lines | Should -Contain '         code'
        $txt | Should -Not -Match '```'
    }
}

Describe 'Help of <Name>' -ForEach $Cmdlets {
    BeforeAll {
        $script:Help = Get-Help -Name $Name -Full
        $script:Command = Get-Command -Name $Name
    }

    It 'comes from the en-US folder of the module base, in a file named after the cmdlet assembly' {
        # Get-Help looks for the file named after the cmdlet's assembly in the culture folder of the module base
        # (and of a nested module's folder): the module root works wherever the assembly itself is loaded from.
        $assemblyFile = Split-Path -Leaf $Command.ImplementingType.Assembly.Location
        Split-Path -Leaf $Command.HelpFile | Should -Be "$assemblyFile-Help.xml"
        Test-Path -LiteralPath (Join-Path $Command.Module.ModuleBase 'en-US' "$assemblyFile-Help.xml") | Should -BeTrue
    }

    It 'has a synopsis (not the generated syntax line)' {
        $Help.Synopsis | Should -Not -BeNullOrEmpty
        $Help.Synopsis.Trim() | Should -Not -BeLike "$Name *"
    }

    It 'has a description' {
        ($Help.description.Text -join ' ').Length | Should -BeGreaterThan 40
    }

    It 'has at least one example with code and remarks' {
        $examples = @($Help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 1
        foreach ($e in $examples) {
            $e.code | Should -Match ([regex]::Escape($Name))
            ($e.remarks.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty
        }
    }

    It 'describes every parameter, and no parameter the cmdlet does not have' {
        $actual = @($Command.Parameters.Keys | Where-Object { $_ -notin $Common } | Sort-Object)
        $documented = @($Help.parameters.parameter | ForEach-Object { $_.name } | Where-Object { $_ -notin $Common } | Sort-Object)
        $documented | Should -Be $actual
        foreach ($p in $Help.parameters.parameter) {
            ($p.description.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty -Because "-$($p.name) of $Name needs a description"
        }
    }
}

Describe 'Get-Help as an admin types it' {
    It 'Get-Help Backup-ClutterDatabase -Examples shows the examples' {
        $text = Get-Help Backup-ClutterDatabase -Examples | Out-String -Width 200
        $text | Should -Match 'Example 1: Back up to S3'
        $text | Should -Match 'Backup-ClutterDatabase -ConnectionString \$env:DATABASE_URL -Destination s3://clutter-backups/db'
        $text | Should -Match 'Example 2'
    }

    It 'Get-Help about_ClutterDR shows the about topic' {
        $text = Get-Help about_ClutterDR | Out-String
        $text | Should -Match 'SHORT DESCRIPTION'
        $text | Should -Match 'Backup-ClutterDatabase'
    }
}

Describe 'Every ErrorId the code can raise is documented' {
    BeforeAll {
        $repoRoot = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
        $id = '[A-Z][A-Za-z0-9]+'
        # The ids the code can raise are the error table's (src/ClutterDR.Engine/Errors/), read from the built engine
        # the module loaded: the default context resolves ClutterDR.Engine through the module's own load context.
        $engine = [System.Reflection.Assembly]::Load('ClutterDR.Engine')
        $script:Table = @($engine.GetType('ClutterDR.Errors', $true).GetProperty('All').GetValue($null))
        $script:CodeIds = [Collections.Generic.SortedSet[string]]::new([StringComparer]::Ordinal)
        foreach ($e in $Table) { $null = $CodeIds.Add($e.Id) }
        $script:TerminatingIds = [Collections.Generic.SortedSet[string]]::new([string[]]@($Table | Where-Object Terminating | ForEach-Object Id), [StringComparer]::Ordinal)
        $script:Unrecognised = [Collections.Generic.List[string]]::new()
        $script:IdSources = @{}   # id -> the first file:line that raises it (Errors.Id), for the failure messages
        $files = Get-ChildItem -Recurse -File -Filter *.cs (Join-Path $repoRoot 'src') |
            Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' }
        foreach ($file in $files) {
            $text = Get-Content -Raw -LiteralPath $file.FullName
            foreach ($m in [regex]::Matches($text, "\bErrors\.($id)\b")) {
                if (-not $IdSources.ContainsKey($m.Groups[1].Value)) {
                    $IdSources[$m.Groups[1].Value] = "$([IO.Path]::GetRelativePath($repoRoot, $file.FullName)):$(($text.Substring(0, $m.Index) -split "`n").Count)"
                }
            }
            # A ClutterException built from anything but a table entry (a string id) would escape the table: only a
            # rethrow of another exception's entry (e.Error) and the constructor itself are known to add no new id.
            foreach ($m in [regex]::Matches($text, 'ClutterException\s*\(\s*([^,)]+),')) {
                $first = $m.Groups[1].Value.Trim()
                if ($first -match "^Errors\.$id(\.As\(FailureKind\.\w+)?$" -or $first -match '\?\s*Errors\.' -or $first -match '^\w+\.Error$' -or $first -match '^ErrorDef\s+error$') { continue }
                $line = ($text.Substring(0, $m.Index) -split "`n").Count
                $Unrecognised.Add("$($file.Name):$line $first")
            }
        }

        function Get-DocumentedIds([string]$Text) {
            [Collections.Generic.HashSet[string]]@([regex]::Matches($Text, "``($id)``") | ForEach-Object { $_.Groups[1].Value })
        }
        $readme = Get-Content -Raw -LiteralPath (Join-Path $repoRoot 'README.md')
        $script:ReadmeIds = Get-DocumentedIds ([regex]::Match($readme, '(?ms)^## Errors\r?\n.*?(?=^## )').Value)
        $about = Get-Content -Raw -LiteralPath (Join-Path $repoRoot 'docs' 'en-US' 'about_ClutterDR.md')
        $script:AboutIds = Get-DocumentedIds ([regex]::Match($about, '(?ms)^### Errors\r?\n.*?(?=^##)').Value)
        # docs/errors.md: one table row per id, "| `Id` | Category | Cause | What to do |".
        $script:ErrorsDocPath = Join-Path $repoRoot 'docs' 'errors.md'
        $script:ErrorsDocRows = @(Get-Content -LiteralPath $ErrorsDocPath | ForEach-Object {
                if ($_ -match "^\|\s*``($id)``\s*\|") {
                    $cells = @($_.Trim().Trim('|') -split '\|' | ForEach-Object { $_.Trim() })
                    [pscustomobject]@{ Id = $Matches[1]; Cells = $cells }
                }
            })
        $script:ErrorsDocIds = [Collections.Generic.HashSet[string]]@($ErrorsDocRows.Id)
        # Words in backticks in those sections that are not ErrorIds.
        $script:NotIds = @('FullyQualifiedErrorId', 'PATH')
    }

    It 'finds the ids (the collection itself works)' {
        $CodeIds.Count | Should -BeGreaterThan 40
        foreach ($known in 'ChecksumMismatch', 'BackupTruncated', 'SourceNotFound', 'DestinationNotFolder', 'UnexpectedError', 'InvalidKey') {
            $CodeIds | Should -Contain $known
        }
        $ReadmeIds.Count | Should -BeGreaterThan 0
        $AboutIds.Count | Should -BeGreaterThan 0
    }

    It 'every ClutterException is built in a way the collection recognises' {
        $Unrecognised -join '; ' | Should -BeNullOrEmpty -Because 'an error not built from the table (Errors.X) would not be checked: use its entry, or extend this test'
    }

    It 'README.md "## Errors" lists every ErrorId' {
        $missing = @($CodeIds | Where-Object { -not $ReadmeIds.Contains($_) })
        $missing -join ', ' | Should -BeNullOrEmpty -Because 'every ErrorId the code can raise must be in the README'
    }

    It 'about_ClutterDR "### Errors" lists every ErrorId' {
        $missing = @($CodeIds | Where-Object { -not $AboutIds.Contains($_) })
        $missing -join ', ' | Should -BeNullOrEmpty -Because 'every ErrorId the code can raise must be in about_ClutterDR'
    }

    It 'docs/errors.md has a row for every ErrorId the code can raise' {
        $ErrorsDocRows.Count | Should -BeGreaterThan 40
        $missing = @($CodeIds | Where-Object { -not $ErrorsDocIds.Contains($_) } | ForEach-Object { "$_ (raised in $($IdSources[$_]))" })
        $missing -join '; ' | Should -BeNullOrEmpty -Because "each must get a row (| ``Id`` | Category | Cause | What to do |) in $ErrorsDocPath"
    }

    It 'docs/errors.md lists no ErrorId the code no longer raises' {
        $stale = @($ErrorsDocIds | Where-Object { -not $CodeIds.Contains($_) } | Sort-Object)
        $stale -join ', ' | Should -BeNullOrEmpty -Because "no file under src/ raises them: remove their rows from $ErrorsDocPath"
    }

    It 'README.md "## Errors" and about_ClutterDR "### Errors" name no ErrorId the table lacks' {
        @($ReadmeIds | Where-Object { $_ -notin $NotIds -and -not $CodeIds.Contains($_) } | Sort-Object) -join ', ' |
            Should -BeNullOrEmpty -Because 'the README documents only ids of the error table (src/ClutterDR.Engine/Errors/)'
        @($AboutIds | Where-Object { $_ -notin $NotIds -and -not $CodeIds.Contains($_) } | Sort-Object) -join ', ' |
            Should -BeNullOrEmpty -Because 'about_ClutterDR documents only ids of the error table (src/ClutterDR.Engine/Errors/)'
    }

    It 'docs/errors.md marks **stops** exactly the ids the table makes terminating' {
        $TerminatingIds.Count | Should -BeGreaterThan 10
        $marked = @($ErrorsDocRows | Where-Object { $_.Cells[2] -match '^\*\*stops\*\*' } | ForEach-Object Id | Sort-Object)
        $marked -join ', ' | Should -Be (@($TerminatingIds) -join ', ') -Because "a terminating id stops the pipeline: $ErrorsDocPath says so with **stops**"
    }

    It 'the table gives every id a kind and a meaning' {
        @($Table | Where-Object { -not $_.Meaning -or $null -eq $_.Kind } | ForEach-Object Id) -join ', ' | Should -BeNullOrEmpty
    }

    It 'docs/errors.md has one row per ErrorId, each with a category, a cause and what to do' {
        @($ErrorsDocRows | Group-Object Id | Where-Object Count -GT 1 | ForEach-Object Name) -join ', ' |
            Should -BeNullOrEmpty -Because "each id has one row in $ErrorsDocPath"
        @($ErrorsDocRows | Where-Object { $_.Cells.Count -ne 4 -or @($_.Cells | Where-Object { -not $_ }).Count -gt 0 } | ForEach-Object Id) -join ', ' |
            Should -BeNullOrEmpty -Because "every row of $ErrorsDocPath has four filled cells: id, category, cause, what to do"
    }
}

Describe 'Help says what the code does' {
    It '-MaxAge: the help calls a bare number refused, not ticks, and the code refuses it' {
        $text = (Get-Help Test-ClutterBackupAge -Parameter MaxAge | Out-String) -replace '\s+', ' '
        $text | Should -Not -Match 'ticks'
        $text | Should -Match 'refused'
        $about = (Get-Help about_ClutterDR | Out-String) -replace '\s+', ' '
        $about | Should -Not -Match 'read as ticks'
        $about | Should -Match 'such as `48`, is refused'
        { Test-ClutterBackupAge (New-Item -ItemType Directory -Path (Join-Path TestDrive: 'age')) -MaxAge 48 } |
            Should -Throw -ErrorId 'ParameterArgumentTransformationError*' -ExpectedMessage '*has no unit*'
    }
}

Describe 'README examples work whichever ran before' {
    BeforeAll {
        $repoRoot = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
        $script:ReadmeText = Get-Content -Raw -LiteralPath (Join-Path $repoRoot 'README.md')
        # Every statement of every powershell block: continuation lines (a trailing ` or |) joined.
        $script:Statements = foreach ($block in [regex]::Matches($ReadmeText, '(?ms)^```powershell\r?\n(.*?)^```')) {
            ($block.Groups[1].Value -replace '`\r?\n\s*', ' ' -replace '\|\s*\r?\n\s*', '| ') -split '\r?\n' |
                ForEach-Object { ($_ -replace '\s+#.*$', '').Trim() } | Where-Object { $_ -and $_ -notlike '#*' }
        }
    }

    It 'every -CreateDatabase example restores into a database name of its own' {
        $names = @($Statements | Where-Object { $_ -match '-CreateDatabase' } |
            ForEach-Object { [regex]::Match($_, '-TargetConnectionString\s+\S+/(\w+)').Groups[1].Value })
        $names.Count | Should -BeGreaterThan 1
        $names | Should -Not -Contain ''
        ($names | Group-Object | Where-Object Count -gt 1).Name | Should -BeNullOrEmpty -Because 'a second -CreateDatabase into the same database fails'
        $ReadmeText | Should -Match 'a drill database must not exist'
    }

    It 'no example restores or tests without a key from a location that another example encrypts backups into' {
        $encrypted = @($Statements | Where-Object { $_ -match 'Backup-ClutterDatabase' -and $_ -match '-(Recipient|Passphrase)\b' } |
            ForEach-Object { [regex]::Match($_, '-Destination\s+(\S+)').Groups[1].Value })
        $encrypted.Count | Should -BeGreaterThan 0
        $keyless = @($Statements | Where-Object { $_ -match 'Get-ClutterBackup\s+(\S+).*\|\s*(Restore-ClutterDatabase|Test-ClutterBackup)' -and $_ -notmatch '-(PrivateKey|Passphrase)\b' } |
            ForEach-Object { [regex]::Match($_, 'Get-ClutterBackup\s+(\S+)').Groups[1].Value })
        $keyless.Count | Should -BeGreaterThan 0
        @($keyless | Where-Object { $_ -in $encrypted }) -join ', ' | Should -BeNullOrEmpty -Because 'the newest backup there may be encrypted, and the keyless restore would fail'
    }
}
