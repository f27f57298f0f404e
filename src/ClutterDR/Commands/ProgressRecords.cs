using System.Management.Automation;

namespace ClutterDR.Commands;

internal static class ProgressRecords
{
    public static ProgressRecord From(ProgressUpdate u)
    {
        var record = new ProgressRecord(u.Id, u.Activity, string.IsNullOrEmpty(u.Status) ? "Working" : u.Status);
        if (u.Completed)
        {
            record.RecordType = ProgressRecordType.Completed;
            record.PercentComplete = 100;
            return record;
        }
        if (u.Total is long t && t > 0) record.PercentComplete = (int)Math.Clamp(u.Done * 100 / t, 0, 99);
        if (u.Remaining is TimeSpan r) record.SecondsRemaining = (int)Math.Min(int.MaxValue, r.TotalSeconds);
        return record;
    }
}
