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
        return value is string s && Duration.TryParse(s, out var span) ? span : inputData;
    }
}
