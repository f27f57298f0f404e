using System.Collections;

namespace ClutterDR.Plan;

/// <summary>Where a secret of a plan comes from: the process environment, the caller's -Secret table, or a SecretManagement vault.</summary>
public enum SecretSource { Environment, Secret, Vault }

/// <summary>
/// A secret referenced by a plan instead of written in it: @{ FromEnvironment = 'DATABASE_URL' },
/// @{ FromSecret = 'name' } (an entry of -Secret) or @{ FromVault = 'name'; Vault = 'v' }. The rules of
/// recognising and resolving them; a vault lookup itself is the caller's (it needs PowerShell).
/// </summary>
public sealed record SecretReference(SecretSource Source, string Name, string? Vault)
{
    public override string ToString() => Source switch
    {
        SecretSource.Environment => $"environment variable {Name}",
        SecretSource.Secret => $"-Secret entry '{Name}'",
        _ => $"vault secret '{Name}'" + (Vault is null ? "" : $" of vault '{Vault}'"),
    };

    /// <summary>Whether a parameter value is a reference (a hashtable of exactly the reference keys); a bad one is a PlanInvalid.</summary>
    public static SecretReference? TryParse(object? value, string where, List<ClutterException> problems)
    {
        if (value is not IDictionary d) return null;
        string? env = null, secret = null, vault = null, vaultName = null;
        var other = new List<string>();
        foreach (DictionaryEntry e in d)
        {
            var key = e.Key?.ToString() ?? "";
            var text = e.Value as string;
            if (key.Equals("FromEnvironment", StringComparison.OrdinalIgnoreCase)) env = text;
            else if (key.Equals("FromSecret", StringComparison.OrdinalIgnoreCase)) secret = text;
            else if (key.Equals("FromVault", StringComparison.OrdinalIgnoreCase)) vault = text;
            else if (key.Equals("Vault", StringComparison.OrdinalIgnoreCase)) vaultName = text;
            else other.Add(key);
        }
        var given = new[] { env, secret, vault }.Count(x => x is not null);
        if (given == 0) return null; // an ordinary hashtable value
        if (given > 1 || other.Count > 0 || (vaultName is not null && vault is null) || new[] { env, secret, vault }.Any(x => x is { Length: 0 }))
        {
            problems.Add(new ClutterException(Errors.PlanInvalid,
                $"{where}: a secret reference takes exactly one of FromEnvironment = 'VAR', FromSecret = 'name' or FromVault = 'name' (with an optional Vault = 'vault'), each a non-empty string.", where));
            return null;
        }
        return env is not null ? new(SecretSource.Environment, env, null)
            : secret is not null ? new(SecretSource.Secret, secret, null)
            : new(SecretSource.Vault, vault!, vaultName);
    }

    /// <summary>
    /// The value, or a PlanSecretMissing naming where it was looked for. secrets: the -Secret table (values opaque:
    /// PSCredential, SecureString, string); vault: the caller's lookup (null when SecretManagement is not there).
    /// </summary>
    public object Resolve(string where, IReadOnlyDictionary<string, object?> secrets, Func<string, string?, object?>? vault)
    {
        switch (Source)
        {
            case SecretSource.Environment:
                var value = System.Environment.GetEnvironmentVariable(Name);
                if (string.IsNullOrEmpty(value)) throw Missing(where, $"the environment variable {Name} is not set. Set it in the job's environment (systemd Environment=/EnvironmentFile=, the crontab, the Automation account) or change the reference.");
                return value;
            case SecretSource.Secret:
                if (secrets.TryGetValue(Name, out var s) && s is not null) return s;
                throw Missing(where, $"-Secret has no entry '{Name}'. Pass it: Invoke-ClutterBackupPlan ... -Secret @{{ {Name} = <PSCredential or SecureString> }}.");
            default:
                if (vault is null)
                    throw new ClutterException(Errors.PlanSecretMissing.As(FailureKind.NotInstalled),
                        $"{where}: the plan reads '{Name}' from a vault, but Microsoft.PowerShell.SecretManagement is not installed. Install it (and a vault extension), or pass the secret with -Secret @{{ {Name} = ... }} and FromSecret.", where);
                return vault(Name, Vault) ?? throw Missing(where, $"the vault{(Vault is null ? "" : " '" + Vault + "'")} has no secret '{Name}'. Add it with Set-Secret, or fix the reference.");
        }
    }

    private static ClutterException Missing(string where, string message) => new(Errors.PlanSecretMissing, $"{where}: {message}", where);
}
