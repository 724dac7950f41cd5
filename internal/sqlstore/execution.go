package sqlstore

type workloadRepo struct{ s *Store }
type workflowRepo struct{ s *Store }
type workbookRepo struct{ s *Store }
type transitionRepo struct{ s *Store }
type eventRepo struct{ s *Store }
type errorLogRepo struct{ s *Store }
type executionRepo struct{ s *Store }
