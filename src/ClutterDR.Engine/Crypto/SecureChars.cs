using System.Runtime.InteropServices;
using System.Security;

namespace ClutterDR.Crypto;

/// <summary>
/// A SecureString's characters, unprotected for as short a time as possible: create right before the
/// OpenPGP call that needs them, dispose right after; the array is zeroed on dispose.
/// </summary>
internal sealed class SecureChars : IDisposable
{
    public SecureChars(SecureString value)
    {
        Value = new char[value.Length];
        var ptr = Marshal.SecureStringToGlobalAllocUnicode(value);
        try
        {
            Marshal.Copy(ptr, Value, 0, Value.Length);
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(ptr);
        }
    }

    public char[] Value { get; }

    public void Dispose() => Array.Clear(Value);
}
