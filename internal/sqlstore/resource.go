package sqlstore

type resourceRepo struct{ s *Store }
type catalogRepo struct{ s *Store }
type credentialRepo struct{ s *Store }
type runtimeRepo struct{ s *Store }
type scheduleRepo struct{ s *Store }
