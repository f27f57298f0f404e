using System.Globalization;
using System.Management.Automation;

namespace ClutterDR.Commands;

/// <summary>Binds duration strings through <see cref="Duration.TryParse"/>, so "48:00:00" is 48 hours.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TimeSpanTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>The parameter the messages name (MaxAge unless told).</summary>
    public string ParameterName { get; set; } = "MaxAge";

    /// <summary>What a negative duration means, for its message.</summary>
    public string Meaning { get; set; } = "-MaxAge is how old the newest backup may be";

    private string Examples => $"e.g. -{ParameterName} '2d', '36h', '90m', '30s', or write it as 48:00:00";

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is string s) return FromString(s);
        // PowerShell reads an unquoted 2d as the decimal 2 and 30s as the short 30, and [timespan]30 is
        // 30 ticks: a bare number here is a mistake, never what the admin meant.
        if (value is byte or short or int or long or decimal or double or float)
            throw NoUnit(value);
        return inputData;
    }

    private TimeSpan FromString(string s)
    {
        if (Duration.TryParse(s, out var span)) return span;
        var text = s.Trim();
        // "48" as a string would be 48 days to TimeSpan's own parsing: no more what the admin meant than 48 ticks.
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) throw NoUnit(s);
        if (text.StartsWith('-') && Duration.TryParse(text[1..], out _))
            throw new ArgumentTransformationMetadataException(
                $"'{s}' is negative. {Meaning}: give a positive duration, {Examples}.");
        // What .NET reads as a TimeSpan (1.12:00:00); only with a colon, so that no other bare text slips through.
        if (text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out span)) return span;
        throw new ArgumentTransformationMetadataException(
            $"'{s}' is not a duration. Give a number with its unit (d, h, m, s), {Examples}, or a TimeSpan such as (New-TimeSpan -Hours 26).");
    }

    private ArgumentTransformationMetadataException NoUnit(object value) =>
        new($"'{value}' has no unit. Quote the duration with its unit, {Examples}.");
}
