<#
    Converts the help pages in docs/<culture> (platyPS markdown, schema 2.0.0) into what Get-Help reads:
    <Assembly>.dll-Help.xml (MAML) for the cmdlets and about_<Topic>.help.txt for about topics.
    platyPS is not served on the build machines, so build.ps1 uses this instead; the markdown stays in
    platyPS's schema, so New-ExternalHelp can build the same pages wherever platyPS is available.

    Pure text in, text out: ConvertFrom-HelpMarkdown (markdown -> object), ConvertTo-MamlHelp (objects
    -> MAML XML), ConvertTo-AboutHelpText (about markdown -> text). Build-ModuleHelp does the file I/O.
#>
Set-StrictMode -Version 3.0

function Split-HelpSections([string[]]$Lines, [string]$Prefix) {
    # Splits lines at headings that start with $Prefix ('## ' or '### '), outside code fences.
    $sections = [Collections.Generic.List[object]]::new()
    $current = $null
    $inFence = $false
    foreach ($line in $Lines) {
        if ($line -match '^\s*```') { $inFence = -not $inFence }
        if (-not $inFence -and $line.StartsWith($Prefix) -and -not $line.StartsWith($Prefix.TrimEnd() + '#')) {
            $current = [pscustomobject]@{ Title = $line.Substring($Prefix.Length).Trim(); Lines = [Collections.Generic.List[string]]::new() }
            $sections.Add($current)
        } elseif ($current) {
            $current.Lines.Add($line)
        }
    }
    , $sections.ToArray()
}

function Get-HelpSectionLines($Sections, [string]$Title) {
    $s = @($Sections | Where-Object Title -EQ $Title)
    if ($s.Count -eq 0) { return , @() }
    , $s[0].Lines.ToArray()
}

function ConvertTo-HelpParagraphs {
    # Markdown text -> paragraphs as Get-Help shows them: wrapped lines joined, one paragraph per list item,
    # code blocks kept line for line, **bold** markers dropped (Get-Help shows plain text).
    param([string[]]$Lines)
    $paras = [Collections.Generic.List[string]]::new()
    $buf = [Collections.Generic.List[string]]::new()
    $code = $null
    $flush = {
        if ($buf.Count -gt 0) { $paras.Add((($buf -join ' ') -replace '\*\*', '').Trim()); $buf.Clear() }
    }
    foreach ($line in $Lines) {
        if ($null -ne $code) {
            if ($line -match '^\s*```') { $paras.Add(($code -join "`n")); $code = $null } else { $code.Add($line) }
            continue
        }
        if ($line -match '^\s*```') { & $flush; $code = [Collections.Generic.List[string]]::new(); continue }
        if ($line.Trim() -eq '') { & $flush; continue }
        if ($line -match '^\s*([-*]|\d+\.)\s+') { & $flush }
        $buf.Add($line.Trim())
    }
    & $flush
    if ($null -ne $code -and $code.Count -gt 0) { $paras.Add(($code -join "`n")) }
    , $paras.ToArray()
}

function Read-ParameterYaml([string[]]$Lines) {
    $map = [ordered]@{}
    foreach ($l in $Lines) {
        if ($l -match '^([A-Za-z][A-Za-z ]*):\s*(.*)$') { $map[$Matches[1].Trim()] = $Matches[2].Trim() }
    }
    $map
}

function ConvertFrom-HelpMarkdown {
    <#
    .SYNOPSIS
        Parses one cmdlet help page in the platyPS markdown schema into an object.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [AllowEmptyString()] [string]$Markdown)

    $lines = $Markdown -replace "`r`n", "`n" -split "`n"
    $i = 0
    if ($lines.Count -gt 0 -and $lines[0].Trim() -eq '---') {
        $i = 1
        while ($i -lt $lines.Count -and $lines[$i].Trim() -ne '---') { $i++ }
        $i++
    }
    $body = @($lines | Select-Object -Skip $i)
    $title = @($body | Where-Object { $_ -match '^# \S' } | Select-Object -First 1)
    if ($title.Count -eq 0) { throw "The help page has no '# <Command-Name>' title line." }
    $name = $title[0].Substring(2).Trim()
    $sections = Split-HelpSections $body '## '

    $syntaxSets = [Collections.Generic.List[object]]::new()
    foreach ($s in (Split-HelpSections (Get-HelpSectionLines $sections 'SYNTAX') '### ')) {
        $setName = $s.Title -replace '\s*\(Default\)\s*$', ''
        $syntaxSets.Add([pscustomobject]@{ Name = $setName; IsDefault = $s.Title -match '\(Default\)' })
    }

    $examples = foreach ($s in (Split-HelpSections (Get-HelpSectionLines $sections 'EXAMPLES') '### ')) {
        $code = [Collections.Generic.List[string]]::new()
        $remarks = [Collections.Generic.List[string]]::new()
        $state = 'before'
        foreach ($l in $s.Lines) {
            if ($state -eq 'before' -and $l -match '^\s*```') { $state = 'code'; continue }
            if ($state -eq 'code') { if ($l -match '^\s*```') { $state = 'after' } else { $code.Add($l) }; continue }
            if ($state -eq 'after') { $remarks.Add($l) }
        }
        [pscustomobject]@{ Title = $s.Title; Code = ($code -join "`n"); Remarks = ConvertTo-HelpParagraphs $remarks.ToArray() }
    }

    $parameters = foreach ($s in (Split-HelpSections (Get-HelpSectionLines $sections 'PARAMETERS') '### ')) {
        if ($s.Title -notmatch '^-(\S+)') { continue }   # CommonParameters
        $pname = $Matches[1]
        $text = [Collections.Generic.List[string]]::new()
        $yaml = [Collections.Generic.List[string]]::new()
        $state = 'text'
        foreach ($l in $s.Lines) {
            if ($state -eq 'text' -and $l -match '^\s*```yaml') { $state = 'yaml'; continue }
            if ($state -eq 'yaml') { if ($l -match '^\s*```') { $state = 'done' } else { $yaml.Add($l) }; continue }
            if ($state -eq 'text') { $text.Add($l) }
        }
        $y = Read-ParameterYaml $yaml.ToArray()
        $get = { param($k, $d) if ($y.Contains($k) -and $y[$k] -ne '') { $y[$k] } else { $d } }
        [pscustomobject]@{
            Name           = $pname
            Description    = ConvertTo-HelpParagraphs $text.ToArray()
            Type           = & $get 'Type' 'Object'
            ParameterSets  = @((& $get 'Parameter Sets' '(All)') -split '\s*,\s*' | Where-Object { $_ })
            Aliases        = & $get 'Aliases' ''
            AcceptedValues = @((& $get 'Accepted values' '') -split '\s*,\s*' | Where-Object { $_ })
            Required       = (& $get 'Required' 'False') -match '^True'
            Position       = & $get 'Position' 'Named'
            DefaultValue   = & $get 'Default value' 'None'
            PipelineInput  = & $get 'Accept pipeline input' 'False'
            Globbing       = (& $get 'Accept wildcard characters' 'False') -match '^True'
        }
    }

    $typed = {
        param($title)
        foreach ($s in (Split-HelpSections (Get-HelpSectionLines $sections $title) '### ')) {
            [pscustomobject]@{ Type = $s.Title; Description = ConvertTo-HelpParagraphs $s.Lines.ToArray() }
        }
    }

    $links = foreach ($l in (Get-HelpSectionLines $sections 'RELATED LINKS')) {
        if ($l -match '^\s*\[([^\]]+)\]\(([^)]*)\)') {
            $text, $target = $Matches[1], $Matches[2]
            # Relative links (other pages) have no online address; Get-Help shows the text alone.
            [pscustomobject]@{ Text = $text; Uri = $(if ($target -like 'http*://*') { $target } else { '' }) }
        }
    }

    [pscustomobject]@{
        Name          = $name
        Synopsis      = (ConvertTo-HelpParagraphs (Get-HelpSectionLines $sections 'SYNOPSIS')) -join ' '
        Description   = ConvertTo-HelpParagraphs (Get-HelpSectionLines $sections 'DESCRIPTION')
        SyntaxSets    = $syntaxSets.ToArray()
        Examples      = @($examples)
        Parameters    = @($parameters)
        Inputs        = @(& $typed 'INPUTS')
        Outputs       = @(& $typed 'OUTPUTS')
        Notes         = ConvertTo-HelpParagraphs (Get-HelpSectionLines $sections 'NOTES')
        RelatedLinks  = @($links)
    }
}

function ConvertTo-MamlHelp {
    <#
    .SYNOPSIS
        Writes parsed help pages (ConvertFrom-HelpMarkdown) as one MAML document (<Assembly>.dll-Help.xml).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [object[]]$Command)

    $nsMaml = 'http://schemas.microsoft.com/maml/2004/10'
    $nsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    $nsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'
    $settings = [Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [Text.UTF8Encoding]::new($false) }
    $sb = [Text.StringBuilder]::new()
    $w = [Xml.XmlWriter]::Create($sb, $settings)
    $paras = {
        param([string[]]$Texts)
        $w.WriteStartElement('maml', 'description', $nsMaml)
        foreach ($t in $Texts) { $w.WriteElementString('maml', 'para', $nsMaml, $t) }
        $w.WriteEndElement()
    }
    $writeParameter = {
        param($p)
        $isSwitch = $p.Type -eq 'SwitchParameter'
        $w.WriteStartElement('command', 'parameter', $nsCommand)
        $w.WriteAttributeString('required', $p.Required.ToString().ToLowerInvariant())
        $w.WriteAttributeString('variableLength', ($p.Type -like '*`[`]').ToString().ToLowerInvariant())
        $w.WriteAttributeString('globbing', $p.Globbing.ToString().ToLowerInvariant())
        $w.WriteAttributeString('pipelineInput', $p.PipelineInput)
        $w.WriteAttributeString('position', $p.Position.ToLowerInvariant())
        $w.WriteAttributeString('aliases', $(if ($p.Aliases) { $p.Aliases } else { 'none' }))
        $w.WriteElementString('maml', 'name', $nsMaml, $p.Name)
        & $paras $p.Description
        if ($p.AcceptedValues.Count -gt 0) {
            $w.WriteStartElement('command', 'parameterValueGroup', $nsCommand)
            foreach ($v in $p.AcceptedValues) {
                $w.WriteStartElement('command', 'parameterValue', $nsCommand)
                $w.WriteAttributeString('required', 'false'); $w.WriteAttributeString('command', 'variableLength', $nsCommand, 'false')
                $w.WriteString($v); $w.WriteEndElement()
            }
            $w.WriteEndElement()
        }
        if (-not $isSwitch) {
            $w.WriteStartElement('command', 'parameterValue', $nsCommand)
            $w.WriteAttributeString('required', 'true'); $w.WriteAttributeString('variableLength', 'false')
            $w.WriteString($p.Type); $w.WriteEndElement()
        }
        $w.WriteStartElement('dev', 'type', $nsDev)
        $w.WriteElementString('maml', 'name', $nsMaml, $p.Type)
        $w.WriteElementString('maml', 'uri', $nsMaml, '')
        $w.WriteEndElement()
        $w.WriteElementString('dev', 'defaultValue', $nsDev, $p.DefaultValue)
        $w.WriteEndElement()
    }

    $w.WriteStartDocument()
    $w.WriteStartElement('helpItems', 'http://msh')
    $w.WriteAttributeString('schema', 'maml')
    foreach ($c in $Command) {
        $verb, $noun = $c.Name -split '-', 2
        $w.WriteStartElement('command', 'command', $nsCommand)
        $w.WriteAttributeString('xmlns', 'maml', $null, $nsMaml)
        $w.WriteAttributeString('xmlns', 'command', $null, $nsCommand)
        $w.WriteAttributeString('xmlns', 'dev', $null, $nsDev)

        $w.WriteStartElement('command', 'details', $nsCommand)
        $w.WriteElementString('command', 'name', $nsCommand, $c.Name)
        $w.WriteElementString('command', 'verb', $nsCommand, $verb)
        $w.WriteElementString('command', 'noun', $nsCommand, $noun)
        & $paras @($c.Synopsis)
        $w.WriteEndElement()

        & $paras $c.Description

        # One syntax item per parameter set; a page without set headings has one set holding everything.
        $w.WriteStartElement('command', 'syntax', $nsCommand)
        $sets = @($c.SyntaxSets | ForEach-Object Name)
        if ($sets.Count -eq 0) { $sets = @('(All)') }
        foreach ($set in $sets) {
            $w.WriteStartElement('command', 'syntaxItem', $nsCommand)
            $w.WriteElementString('maml', 'name', $nsMaml, $c.Name)
            $inSet = @($c.Parameters | Where-Object { $set -eq '(All)' -or $_.ParameterSets -contains '(All)' -or $_.ParameterSets -contains $set })
            # As Get-Command -Syntax orders them: positional by position, then required, then the rest.
            $named = @($inSet | Where-Object Position -EQ 'Named')
            $ordered = @($inSet | Where-Object Position -NE 'Named' | Sort-Object { [int]$_.Position }) +
                @($named | Where-Object Required) + @($named | Where-Object { -not $_.Required })
            foreach ($p in $ordered) { & $writeParameter $p }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'parameters', $nsCommand)
        foreach ($p in $c.Parameters) { & $writeParameter $p }
        $w.WriteEndElement()

        foreach ($pair in @(@('inputTypes', 'inputType', $c.Inputs), @('returnValues', 'returnValue', $c.Outputs))) {
            $w.WriteStartElement('command', $pair[0], $nsCommand)
            foreach ($t in $pair[2]) {
                $w.WriteStartElement('command', $pair[1], $nsCommand)
                $w.WriteStartElement('dev', 'type', $nsDev)
                $w.WriteElementString('maml', 'name', $nsMaml, $t.Type)
                $w.WriteEndElement()
                & $paras $t.Description
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
        }

        $w.WriteStartElement('maml', 'alertSet', $nsMaml)
        $w.WriteStartElement('maml', 'alert', $nsMaml)
        foreach ($t in $c.Notes) { $w.WriteElementString('maml', 'para', $nsMaml, $t) }
        $w.WriteEndElement()
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'examples', $nsCommand)
        foreach ($e in $c.Examples) {
            $w.WriteStartElement('command', 'example', $nsCommand)
            $w.WriteElementString('maml', 'title', $nsMaml, "--------- $($e.Title) ---------")
            $w.WriteElementString('dev', 'code', $nsDev, $e.Code)
            $w.WriteStartElement('dev', 'remarks', $nsDev)
            foreach ($t in $e.Remarks) { $w.WriteElementString('maml', 'para', $nsMaml, $t) }
            $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'relatedLinks', $nsCommand)
        foreach ($l in $c.RelatedLinks) {
            $w.WriteStartElement('maml', 'navigationLink', $nsMaml)
            $w.WriteElementString('maml', 'linkText', $nsMaml, $l.Text)
            $w.WriteElementString('maml', 'uri', $nsMaml, $l.Uri)
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteEndElement()   # command:command
    }
    $w.WriteEndElement()
    $w.WriteEndDocument()
    $w.Flush()
    $w.Dispose()
    # StringBuilder output says utf-16 in the declaration; the file is written as UTF-8.
    $sb.ToString() -replace '^<\?xml version="1.0" encoding="utf-16"\?>', '<?xml version="1.0" encoding="utf-8"?>'
}

function ConvertTo-AboutHelpText {
    <#
    .SYNOPSIS
        Converts an about_<Topic>.md page to the plain text of about_<Topic>.help.txt: headings without
        their #, level 1 and 2 headings in capitals, body indented four spaces, code indented eight.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [AllowEmptyString()] [string]$Markdown)

    $lines = $Markdown -replace "`r`n", "`n" -split "`n"
    if ($lines.Count -gt 0 -and $lines[0].Trim() -eq '---') {
        $end = [Array]::IndexOf($lines, '---', 1)
        if ($end -gt 0) { $lines = $lines[($end + 1)..($lines.Count - 1)] }
    }
    $out = [Collections.Generic.List[string]]::new()
    $inFence = $false
    foreach ($l in $lines) {
        if ($l -match '^\s*```') { $inFence = -not $inFence; continue }
        if ($inFence) { $out.Add(('        ' + $l).TrimEnd()); continue }
        if ($l -match '^(#{1,2})\s+(.*)$') {
            $text = $Matches[2].Trim()
            $out.Add($(if ($Matches[1].Length -eq 1 -and $text -like 'about_*') { $text } else { $text.ToUpperInvariant() }))
            continue
        }
        if ($l -match '^#{3,}\s+(.*)$') { $out.Add('  ' + $Matches[1].Trim()); continue }
        $out.Add($(if ($l.Trim()) { '    ' + ($l -replace '\*\*', '') } else { '' }))
    }
    ($out -join [Environment]::NewLine).TrimEnd() + [Environment]::NewLine
}

function Build-ModuleHelp {
    <#
    .SYNOPSIS
        Converts every page in -SourcePath (docs/<culture>) into -DestinationPath (<module>/<culture>):
        cmdlet pages into -MamlFileName, about_*.md into about_*.help.txt. Returns the files written.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string]$SourcePath,
        [Parameter(Mandatory)] [string]$DestinationPath,
        [Parameter(Mandatory)] [string]$MamlFileName
    )
    $null = New-Item -ItemType Directory -Path $DestinationPath -Force
    $pages = @(Get-ChildItem -LiteralPath $SourcePath -Filter '*.md' -File | Sort-Object Name)
    $commands = foreach ($f in ($pages | Where-Object Name -NotLike 'about_*')) {
        try { ConvertFrom-HelpMarkdown -Markdown (Get-Content -LiteralPath $f.FullName -Raw) }
        catch { throw "Help page '$($f.FullName)': $($_.Exception.Message)" }
    }
    if (@($commands).Count -gt 0) {
        $maml = Join-Path $DestinationPath $MamlFileName
        [IO.File]::WriteAllText($maml, (ConvertTo-MamlHelp -Command @($commands)), [Text.UTF8Encoding]::new($false))
        $maml
    }
    foreach ($f in ($pages | Where-Object Name -Like 'about_*')) {
        $txt = Join-Path $DestinationPath ($f.BaseName + '.help.txt')
        [IO.File]::WriteAllText($txt, (ConvertTo-AboutHelpText -Markdown (Get-Content -LiteralPath $f.FullName -Raw)), [Text.UTF8Encoding]::new($false))
        $txt
    }
}

Export-ModuleMember -Function ConvertFrom-HelpMarkdown, ConvertTo-MamlHelp, ConvertTo-AboutHelpText, Build-ModuleHelp
