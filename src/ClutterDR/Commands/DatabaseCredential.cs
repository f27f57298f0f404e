using System.Management.Automation;
using System.Net;

namespace ClutterDR.Commands;

internal static class DatabaseCredential
{
    public static NetworkCredential? From(PSCredential? credential) =>
        credential is null || credential == PSCredential.Empty ? null : credential.GetNetworkCredential();
}
