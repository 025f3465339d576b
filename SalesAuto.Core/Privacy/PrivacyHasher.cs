using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace SalesAuto.Core.Privacy;

/// <summary>
/// The keyed hashes that stand for a person in the suppression list and the audit log:
/// HMAC-SHA256 under <c>Privacy:HashKeys</c> of the identifier's kind and value
/// (<c>email\n</c> + the lower-cased email, or <c>crm\n</c> + the CRM contact id), so the same value
/// as an email and as a CRM id never collide, and nobody without the key can test a guess.
/// </summary>
public sealed class PrivacyHasher
{
    private readonly byte[][] _keys;

    /// <summary>Reads the keys once (they are validated at start-up).</summary>
    public PrivacyHasher(IOptions<PrivacyOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = [.. options.Value.HashKeys.Select(Encoding.UTF8.GetBytes)];
        if (_keys.Length == 0)
        {
            throw new InvalidOperationException("Privacy:HashKeys must hold at least one key.");
        }
    }

    /// <summary>How many keys are configured (the current one and those being retired).</summary>
    public int KeyCount => _keys.Length;

    /// <summary>The hash under the current key: what is written.</summary>
    public byte[] Current(PersonIdentifier identifier) => Hash(_keys[0], identifier);

    /// <summary>The hashes under every key, current first: what a lookup compares.</summary>
    public IReadOnlyList<byte[]> All(PersonIdentifier identifier) => [.. _keys.Select(key => Hash(key, identifier))];

    private static byte[] Hash(byte[] key, PersonIdentifier identifier) =>
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(identifier.Canonical));
}
