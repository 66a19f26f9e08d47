// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// The test contract of docs/wire/ledger.md §2: Watson's updateAsset / readAsset in Solidity.
contract AssetTracker {
    struct Asset {
        string assetId;
        int256 temperatureMilli;
        string carrier;
        int256 latE6;
        int256 lonE6;
        uint256 updates;
    }

    mapping(string => Asset) private assets;
    /// Every successful updateAsset, so a test can count duplicates on the chain itself.
    uint256 public totalUpdates;

    event AssetUpdated(string indexed assetKey, string assetId, int256 temperatureMilli, string carrier, int256 latE6, int256 lonE6);

    error EmptyAssetId();
    error TemperatureBelowAbsoluteZero(int256 temperatureMilli);

    function updateAsset(string calldata assetId, int256 temperatureMilli, string calldata carrier, int256 latE6, int256 lonE6) external {
        if (bytes(assetId).length == 0) revert EmptyAssetId();
        if (temperatureMilli < -273150) revert TemperatureBelowAbsoluteZero(temperatureMilli);
        Asset storage a = assets[assetId];
        a.assetId = assetId;
        a.temperatureMilli = temperatureMilli;
        a.carrier = carrier;
        a.latE6 = latE6;
        a.lonE6 = lonE6;
        a.updates += 1;
        totalUpdates += 1;
        emit AssetUpdated(assetId, assetId, temperatureMilli, carrier, latE6, lonE6);
    }

    function readAsset(string calldata assetId) external view returns (Asset memory) {
        return assets[assetId];
    }
}
