using System.Management.Automation;
using ClutterDR.Engine;

namespace ClutterDR.Commands;

/// <summary>Binds duration strings through <see cref="Duration.TryParse"/>, so "48:00:00" is 48 hours.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TimeSpanTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is string s) return Duration.TryParse(s, out var span) ? span : inputData;
        // PowerShell reads an unquoted 2d as the decimal 2 and 30s as the short 30, and [timespan]30 is
        // 30 ticks: a bare number here is a mistake, never what the admin meant.
        if (value is byte or short or int or long or decimal or double or float)
            throw new ArgumentTransformationMetadataException(
                $"'{value}' has no unit. Quote the duration with its unit, e.g. -MaxAge '2d', '36h', '90m', '30s', or write it as 48:00:00.");
        return inputData;
    }
}
